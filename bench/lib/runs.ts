// Starting a run on the local stack over HTTP and waiting for it to end.
import { sleep } from "./stats.ts";

/** POST /invoke/<workflow>, then polls GET /runs/<id> until the run has ended; throws unless it completed. */
export async function invokeAndWait(baseUrl: string, workflow: string, params: unknown, pollMs = 20): Promise<string> {
  const res = await fetch(new URL(`/invoke/${workflow}`, baseUrl), { method: "POST", body: JSON.stringify(params) });
  if (!res.ok) throw new Error(`POST /invoke/${workflow}: ${res.status} ${await res.text()}`);
  const { run_id } = (await res.json()) as { run_id: string };
  let status = "running";
  while (status === "running") {
    await sleep(pollMs);
    status = ((await (await fetch(new URL(`/runs/${run_id}`, baseUrl))).json()) as { run: { status: string } }).run.status;
  }
  if (status !== "complete") throw new Error(`run ${run_id} ended ${status}`);
  return run_id;
}

/** How long a run took as the orchestrator recorded it (created_at to completed_at), in ms. */
export async function runDurationMs(baseUrl: string, runId: string): Promise<number> {
  const { run } = (await (await fetch(new URL(`/runs/${runId}`, baseUrl))).json()) as { run: { created_at: string; completed_at?: string } };
  if (!run.completed_at) throw new Error(`run ${runId} has no completed_at`);
  return Date.parse(run.completed_at) - Date.parse(run.created_at);
}

/** Reads every item of a fanout step through `GET /runs/{id}/steps/{step}/items`, following next_cursor. */
export async function pageAllItems(baseUrl: string, runId: string, stepId: string): Promise<{ items: number; ok: number; pages: number; bytes: number }> {
  let cursor: string | null = null;
  const counted = { items: 0, ok: 0, pages: 0, bytes: 0 };
  do {
    const url = new URL(`/runs/${runId}/steps/${stepId}/items`, baseUrl);
    url.searchParams.set("limit", "1000");
    if (cursor !== null) url.searchParams.set("cursor", cursor);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url.pathname}: ${res.status} ${await res.text()}`);
    const text = await res.text();
    const page = JSON.parse(text) as { items: Array<{ status: string }>; next_cursor: string | null };
    counted.items += page.items.length;
    counted.ok += page.items.filter((item) => item.status === "ok").length;
    counted.pages += 1;
    counted.bytes += text.length;
    cursor = page.next_cursor;
  } while (cursor !== null);
  return counted;
}
