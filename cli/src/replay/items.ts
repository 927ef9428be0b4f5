// A recorded fanout step's items, read page by page with their call records: each becomes a
// recorded step `<step>.<index>` that the replay answers the item's LLM and tool calls from.

import type { ItemView } from "../../../shared/contracts/item-page.ts";
import type { StepCall } from "../../../shared/contracts/runtime.ts";
import { ApiError, type OrchestratorClient } from "../client/orchestrator.ts";
import type { RecordedCall, RecordedStep } from "./recording.ts";

/** Items read per page (the most the items route gives). */
const PAGE_LIMIT = 1000;

/** What a replay needs of a call: no times, no usage. */
export function recordedCall(call: StepCall): RecordedCall {
  if (call.kind === "tool") return { kind: "tool", tool: call.tool, ...(call.result !== undefined ? { result: call.result } : {}) };
  return {
    kind: "llm",
    ...(call.model ? { model: call.model } : {}),
    ...(call.prompt ? { prompt: call.prompt } : {}),
    ...(call.reply ? { reply: call.reply } : {}),
    ...(call.error ? { error: call.error } : {}),
  };
}

function recordedItem(run: string, stepId: string, item: ItemView): RecordedStep | undefined {
  if (item.status !== "ok" && item.status !== "failed") return undefined;
  const model = item.metrics?.model_resolved;
  return {
    run,
    id: `${stepId}.${item.index}`,
    item: item.index,
    status: item.status === "ok" ? "complete" : "failed",
    ...(item.output ? { output: item.output } : {}),
    ...(item.error !== undefined ? { error: item.error } : {}),
    ...(model ? { model } : {}),
    ...(item.calls ? { calls: item.calls.map(recordedCall) } : {}),
  };
}

/** The items of `stepId` in the run `runId` (whose run path is `run`); none when the step is not a fanout. */
export async function recordedItems(client: OrchestratorClient, runId: string, run: string, stepId: string): Promise<RecordedStep[]> {
  const items: RecordedStep[] = [];
  let cursor: string | null = null;
  do {
    let page: Awaited<ReturnType<OrchestratorClient["itemPage"]>>;
    try {
      page = await client.itemPage(runId, stepId, cursor, { calls: true, limit: PAGE_LIMIT });
    } catch (error) {
      // An agent step that is not a fanout has no items.
      if (error instanceof ApiError && error.status === 404) return items;
      throw error;
    }
    for (const view of page.items) {
      const item = recordedItem(run, stepId, view);
      if (item) items.push(item);
    }
    cursor = page.next_cursor;
  } while (cursor !== null);
  return items;
}
