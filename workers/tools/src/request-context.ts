// What a first-party server knows about the request it serves. The servers are stateless
// (a fresh server per HTTP request), so the context arrives with every request: the
// runtime sends the step's ids and the server's resolved params as headers.
import { TOOLS_PARAMS_HEADER, TOOLS_RUN_ID_HEADER, TOOLS_STEP_ID_HEADER } from "../../../shared/contracts/runtime.ts";
import { ServerParamsSchema } from "../../../shared/contracts/schemas/runtime.ts";

export interface RequestContext {
  /** The agent's `persistent_id` (`persistentId` query), or "default". */
  namespace: string;
  run_id?: string;
  step_id?: string;
  /** The server's resolved params (empty when none). */
  params: Record<string, string>;
}

/** The server params the runtime sends (a JSON object of strings, URI-encoded); anything else is none. */
function parseParams(header: string | null): Record<string, string> {
  if (!header) return {};
  let value: unknown;
  try {
    value = JSON.parse(decodeURIComponent(header));
  } catch {
    return {};
  }
  const params = ServerParamsSchema.safeParse(value);
  return params.success ? params.data : {};
}

export function requestContext(request: Request): RequestContext {
  const url = new URL(request.url);
  const context: RequestContext = {
    namespace: url.searchParams.get("persistentId") || "default",
    params: parseParams(request.headers.get(TOOLS_PARAMS_HEADER)),
  };
  const runId = request.headers.get(TOOLS_RUN_ID_HEADER);
  const stepId = request.headers.get(TOOLS_STEP_ID_HEADER);
  if (runId) context.run_id = runId;
  if (stepId) context.step_id = stepId;
  return context;
}
