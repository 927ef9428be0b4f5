// Which conformance scenarios run (test/mcp-conformance/run.ts) and which do not apply, and why.
// Every server scenario of the suite has a verdict per target; run.ts checks that against the
// suite's own list, so a scenario a new suite version adds cannot go unnoticed.

/** Client scenarios a ktsu runtime passes (test/mcp-conformance/client.ts knows what each expects). */
export const CLIENT_SCENARIOS = ["initialize", "tools_call", "sse-retry"];

/** Client scenarios not run, and why (the suite's `auth/*` scenarios are all OAuth flows). */
export const NOT_APPLICABLE_CLIENT_SCENARIOS: Record<string, string> = {
  "elicitation-sep1034-client-defaults":
    "the runtime runs agents unattended and declares no elicitation capability: answering a server's question with its defaults would accept on a person's behalf; people decide through approvals",
  "auth/*": "OAuth flows: the runtime authenticates to a server with the static auth_header/auth_value of its server file, and offers no OAuth client",
};

/** A server scenario's verdict for one target: expected to pass, or not applicable (the reason). */
export type Verdict = "pass" | { notApplicable: string };

const NO_RESOURCES = "the server offers tools only (no resources capability)";
const NO_PROMPTS = "the server offers tools only (no prompts capability)";
const SUITE_TOOL = "calls one of the suite's own test tools; a first-party server has its fixed tools (kv: get/set/…, envelope: read)";

/** The tools Worker's first-party servers (`kv`, `envelope`): fixed tools, no logging, no sessions. */
export const TOOLS_SERVER_VERDICTS: Record<string, Verdict> = {
  "server-initialize": "pass",
  ping: "pass",
  "tools-list": "pass",
  "dns-rebinding-protection": "pass",
  "logging-set-level": { notApplicable: "the servers send no log messages, so they declare no logging capability" },
  "completion-complete": { notApplicable: "completions complete prompt and resource-template arguments; the servers have neither" },
  "tools-call-simple-text": { notApplicable: SUITE_TOOL },
  "tools-call-image": { notApplicable: SUITE_TOOL },
  "tools-call-audio": { notApplicable: SUITE_TOOL },
  "tools-call-embedded-resource": { notApplicable: SUITE_TOOL },
  "tools-call-mixed-content": { notApplicable: SUITE_TOOL },
  "tools-call-with-logging": { notApplicable: SUITE_TOOL },
  "tools-call-error": { notApplicable: SUITE_TOOL },
  "tools-call-with-progress": { notApplicable: SUITE_TOOL },
  "tools-call-sampling": { notApplicable: SUITE_TOOL },
  "tools-call-elicitation": { notApplicable: SUITE_TOOL },
  "json-schema-2020-12": { notApplicable: SUITE_TOOL },
  "elicitation-sep1034-defaults": { notApplicable: SUITE_TOOL },
  "elicitation-sep1330-enums": { notApplicable: SUITE_TOOL },
  "server-sse-polling": {
    notApplicable: "stateless servers answering JSON (no SSE stream, no session): a tool call is one short request over a service binding",
  },
  "server-sse-multiple-streams": { notApplicable: "stateless servers answering JSON (no session to open several streams in)" },
  "resources-list": { notApplicable: NO_RESOURCES },
  "resources-read-text": { notApplicable: NO_RESOURCES },
  "resources-read-binary": { notApplicable: NO_RESOURCES },
  "resources-templates-read": { notApplicable: NO_RESOURCES },
  "resources-subscribe": { notApplicable: NO_RESOURCES },
  "resources-unsubscribe": { notApplicable: NO_RESOURCES },
  "prompts-list": { notApplicable: NO_PROMPTS },
  "prompts-get-simple": { notApplicable: NO_PROMPTS },
  "prompts-get-with-args": { notApplicable: NO_PROMPTS },
  "prompts-get-embedded-resource": { notApplicable: NO_PROMPTS },
  "prompts-get-with-image": { notApplicable: NO_PROMPTS },
};

const WORKFLOWS_ONLY = "/mcp serves the project's workflows as tools; it has no";
const FIXED_FORM =
  "asks the suite's own form (fields, defaults, enums) through elicitation; a run asks a person only whether to approve a step (one `decision` field), so /mcp has no tool that would ask for this form";

/**
 * The orchestrator's `/mcp` on the local stack with test/fixtures/mcp-conformance-project,
 * whose workflows are the suite's test tools (each workflow's description names its scenario).
 */
export const ORCHESTRATOR_VERDICTS: Record<string, Verdict> = {
  "server-initialize": "pass",
  ping: "pass",
  "tools-list": "pass",
  "dns-rebinding-protection": "pass",
  "logging-set-level": "pass",
  "tools-call-simple-text": "pass",
  "tools-call-image": "pass",
  "tools-call-audio": "pass",
  "tools-call-embedded-resource": "pass",
  "tools-call-mixed-content": "pass",
  "tools-call-with-logging": "pass",
  "tools-call-error": "pass",
  "tools-call-with-progress": "pass",
  "json-schema-2020-12": "pass",
  "tools-call-sampling": {
    notApplicable:
      "a workflow's agents call the models of gateway.yaml through the gateway (budgets, pricing, egress); a run never asks the MCP client's model (no sampling/createMessage)",
  },
  // Needs the session: the client's answer (a POST of its own) reaches the call that asked.
  "tools-call-elicitation": "pass",
  "elicitation-sep1034-defaults": { notApplicable: FIXED_FORM },
  "elicitation-sep1330-enums": { notApplicable: FIXED_FORM },
  // Passes with warnings only: the scenario's tools/call POST names protocol 2025-03-26, and the SDK's transport
  // sends the priming event (an id, a retry) that makes a POST stream resumable only from 2025-11-25.
  "server-sse-polling": "pass",
  "server-sse-multiple-streams": "pass",
  "completion-complete": { notApplicable: `${WORKFLOWS_ONLY} prompts or resource templates whose arguments could be completed` },
  "resources-list": { notApplicable: `${WORKFLOWS_ONLY} resources` },
  "resources-read-text": { notApplicable: `${WORKFLOWS_ONLY} resources` },
  "resources-read-binary": { notApplicable: `${WORKFLOWS_ONLY} resources` },
  "resources-templates-read": { notApplicable: `${WORKFLOWS_ONLY} resources` },
  "resources-subscribe": { notApplicable: `${WORKFLOWS_ONLY} resources` },
  "resources-unsubscribe": { notApplicable: `${WORKFLOWS_ONLY} resources` },
  "prompts-list": { notApplicable: `${WORKFLOWS_ONLY} prompts` },
  "prompts-get-simple": { notApplicable: `${WORKFLOWS_ONLY} prompts` },
  "prompts-get-with-args": { notApplicable: `${WORKFLOWS_ONLY} prompts` },
  "prompts-get-embedded-resource": { notApplicable: `${WORKFLOWS_ONLY} prompts` },
  "prompts-get-with-image": { notApplicable: `${WORKFLOWS_ONLY} prompts` },
};

/** The scenarios of a target to run: those expected to pass. */
export function scenariosToRun(verdicts: Record<string, Verdict>): string[] {
  return Object.entries(verdicts)
    .filter(([, verdict]) => verdict === "pass")
    .map(([scenario]) => scenario);
}

/** The suite's scenarios (as listed) that lack a verdict for one of the targets. */
export function unjudgedScenarios(listed: string[]): string[] {
  return listed.filter((scenario) => !(scenario in TOOLS_SERVER_VERDICTS) || !(scenario in ORCHESTRATOR_VERDICTS));
}
