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
