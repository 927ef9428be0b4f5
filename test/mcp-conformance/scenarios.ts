// Which conformance scenarios run (test/mcp-conformance/run.ts) and which do not apply, and why.

/** Client scenarios a ktsu runtime passes (test/mcp-conformance/client.ts knows what each expects). */
export const CLIENT_SCENARIOS = ["initialize", "tools_call", "sse-retry"];

/** Client scenarios not run, and why (the suite's `auth/*` scenarios are all OAuth flows). */
export const NOT_APPLICABLE_CLIENT_SCENARIOS: Record<string, string> = {
  "elicitation-sep1034-client-defaults":
    "the runtime runs agents unattended and declares no elicitation capability: answering a server's question with its defaults would accept on a person's behalf; people decide through approvals",
  "auth/*": "OAuth flows: the runtime authenticates to a server with the static auth_header/auth_value of its server file, and offers no OAuth client",
};

// Not `dns-rebinding-protection`: it targets servers listening on localhost, while the tools
// Worker has no public URL at all (workers_dev: false) and is reached only over bindings.
export const SERVER_SCENARIOS = ["server-initialize", "ping", "tools-list"];

/**
 * Server scenarios the orchestrator's /mcp passes. The others: the tools-call, resources and
 * prompts scenarios call the suite's own tools, resources and prompts (a fixture project that
 * provides them is still to come); logging, completion, sampling and elicitation are
 * capabilities /mcp does not declare; the SSE polling scenarios need sessions (/mcp is stateless).
 */
export const ORCHESTRATOR_SCENARIOS = ["server-initialize", "ping", "tools-list", "dns-rebinding-protection"];
