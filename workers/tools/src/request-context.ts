// What a first-party server knows about the request it serves. The servers are stateless
// (a fresh server per HTTP request), so the context arrives with every request: the
// runtime sends the step's ids and the server's resolved params as headers.
import { TOOLS_PARAMS_HEADER, TOOLS_RUN_ID_HEADER, TOOLS_STEP_ID_HEADER } from "../../../shared/contracts/runtime.ts";

export interface RequestContext {
  /** The agent's `persistent_id` (`persistentId` query), or "default". */
  namespace: string;
  run_id?: string;
  step_id?: string;
  /** The server's resolved params (empty when none). */
  params: Record<string, string>;
}

function parseParams(header: string | null): Record<string, string> {
  if (!header) return {};
  try {
    const value: unknown = JSON.parse(decodeURIComponent(header));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return {};
  }
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
