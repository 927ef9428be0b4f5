// `GET /runs`: the filters the orchestrator's run list takes, as the CLI and the
// viewer send them.

/** The most runs one `GET /runs` returns; a larger `limit` is refused. */
export const MAX_RUN_LIST_LIMIT = 1000;

export interface RunListFilter {
  workflow?: string;
  status?: string;
  /** At most this many runs (newest first); the orchestrator's default when absent or not positive. */
  limit?: number;
}

/** The path of `GET /runs` with the filter's non-empty fields as query parameters. */
export function runListPath(filter: RunListFilter): string {
  const query = new URLSearchParams();
  if (filter.workflow) query.set("workflow", filter.workflow);
  if (filter.status) query.set("status", filter.status);
  if (filter.limit !== undefined && filter.limit > 0) query.set("limit", String(filter.limit));
  const qs = query.toString();
  return qs ? `/runs?${qs}` : "/runs";
}
