// Hash routes, so the static assets need no server-side routing:
//   #/runs?workflow=&status=   the runs list
//   #/runs/<run id>?step=<id>  a run (ids percent-encoded: sub-run ids contain "/")
//   #/approvals                pending approvals

import { runListPath } from "../../shared/contracts/run-list.ts";

export type Route =
  | { page: "runs"; workflow: string; status: string }
  | { page: "run"; id: string; step: string | null }
  | { page: "approvals" }
  | { page: "not_found"; path: string };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const [path = "", search = ""] = raw.split("?", 2) as [string?, string?];
  const query = new URLSearchParams(search);
  const parts = path.split("/").filter(Boolean);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === "runs")) {
    return { page: "runs", workflow: query.get("workflow") ?? "", status: query.get("status") ?? "" };
  }
  if (parts[0] === "runs" && parts.length === 2) {
    try {
      return { page: "run", id: decodeURIComponent(parts[1]!), step: query.get("step") };
    } catch {
      return { page: "not_found", path };
    }
  }
  if (parts.length === 1 && parts[0] === "approvals") return { page: "approvals" };
  return { page: "not_found", path };
}

/** The runs page, filtered: its hash route carries the same query as the API's run list. */
export function runsHref(filter: { workflow?: string; status?: string } = {}): string {
  return `#${runListPath({ workflow: filter.workflow, status: filter.status })}`;
}

export function runHref(id: string, step?: string | null): string {
  return `#/runs/${encodeURIComponent(id)}${step ? `?step=${encodeURIComponent(step)}` : ""}`;
}
