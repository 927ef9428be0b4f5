// The orchestrator's API, called from the page it serves (same origin).
import { type RunListFilter, runListPath } from "../../shared/contracts/run-list.ts";
import type { ItemPage } from "../../shared/contracts/item-page.ts";
import { getToken, requireLogin } from "./auth.ts";
import type { ApprovalRecord, Budget, RunRecord, StepView, WorkflowGraph, WorkflowSummary } from "./types.ts";

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Run ids of sub-runs contain "/": every id goes into a path percent-encoded. */
export const enc = encodeURIComponent;

export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** A 401 opens the token prompt; other errors carry the API's `message`. */
export async function checked(res: Response): Promise<Response> {
  if (res.ok) return res;
  throw apiError(res.status, await res.text().catch(() => ""));
}

/** The error for an API answer with an error status and this body (a 401 also opens the token prompt). */
export function apiError(status: number, bodyText: string): ApiError {
  if (status === 401) requireLogin();
  let body: { error?: string; message?: string } | null = null;
  try {
    body = JSON.parse(bodyText) as { error?: string; message?: string } | null;
  } catch {
    // not JSON: the status alone says what went wrong
  }
  return new ApiError(status, body?.message || body?.error || `HTTP ${status}`);
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: "application/json", ...authHeaders() } });
  return (await checked(res)).json() as Promise<T>;
}

/** The runs list; the page shows up to 100 runs unless told otherwise. */
export async function listRuns(filter: RunListFilter): Promise<RunRecord[]> {
  return (await getJson<{ runs: RunRecord[] }>(runListPath({ ...filter, limit: filter.limit ?? 100 }))).runs;
}

export async function getRun(id: string): Promise<{ run: RunRecord; steps: StepView[] }> {
  const body = await getJson<{ run: RunRecord; steps: StepView[] | null }>(`/runs/${enc(id)}`);
  return { run: body.run, steps: body.steps ?? [] };
}

/** The gateway's spend for the run, or null when it does not know the run. */
export async function getBudget(id: string): Promise<Budget | null> {
  const body = await getJson<{ budget?: Budget }>(`/runs/${enc(id)}/envelope`);
  return body.budget ?? null;
}

export async function listWorkflows(): Promise<WorkflowSummary[]> {
  return (await getJson<{ workflows: WorkflowSummary[] }>("/workflows")).workflows;
}

/** The workflow's DAG, or null when the running project no longer has it. */
export async function getGraph(workflow: string): Promise<WorkflowGraph | null> {
  try {
    return await getJson<WorkflowGraph>(`/workflows/${enc(workflow)}/graph`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export async function listApprovals(): Promise<ApprovalRecord[]> {
  const body = await getJson<ApprovalRecord[] | { approvals: ApprovalRecord[] }>("/approvals");
  return Array.isArray(body) ? body : body.approvals;
}

/** `POST /runs/:id/cancel`; a run that has ended answers 409 (thrown as an ApiError with its message). */
export async function cancelRun(runId: string): Promise<void> {
  const res = await fetch(`/runs/${enc(runId)}/cancel`, { method: "POST", headers: authHeaders() });
  await checked(res);
}

export async function decide(runId: string, stepId: string, decision: "approved" | "rejected"): Promise<void> {
  const res = await fetch(`/runs/${enc(runId)}/steps/${enc(stepId)}/approval/decide`, {
    method: "POST",
    headers: { "content-type": "application/json", ...authHeaders() },
    body: JSON.stringify({ decision }),
  });
  await checked(res);
}

/** One page of a fanout step's items from `cursor` (null: the first page). */
export async function getItemPage(runId: string, stepId: string, cursor: string | null, limit: number): Promise<ItemPage> {
  const query = `limit=${limit}${cursor === null ? "" : `&cursor=${enc(cursor)}`}`;
  return getJson<ItemPage>(`/runs/${enc(runId)}/steps/${enc(stepId)}/items?${query}`);
}
