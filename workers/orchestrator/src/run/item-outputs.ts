// Where a fanout's item outputs live. Every item is stored on its own (`item:<step>:<index>`);
// memory keeps the outputs only while a step may still receive them: once a fanout's finished
// items hold more than MAX_FANOUT_INPUT_BYTES, nothing reads them from memory again (no step
// can receive them, and the API pages them from storage), so the run object's memory stays
// bounded however wide the fanout and however large its outputs. The replies and tool results
// an item's call records keep for `ktsu replay` are read from storage only (the items route),
// so memory drops them from every finished item once it is stored.

import { holdsReplayContent, withoutReplayContent } from "../../../../shared/replay/call-record.ts";
import { MAX_FANOUT_INPUT_BYTES } from "../engine/limits.ts";
import { type ItemState, itemKey, type StepState } from "./model.ts";

/** The storage read this module makes (RunStorage's `list`). */
interface ItemStorage {
  list<T>(options: { prefix: string; start?: string; limit?: number }): Promise<Map<string, T>>;
}

export class StoredOutputs {
  /** Fanout steps whose item outputs are kept in storage only. */
  private readonly steps = new Set<string>();

  /**
   * After a load or a commit: forgets the outputs of stored, finished items of fanouts over the
   * limit. `written`: the keys the commit just stored; `dirty`: keys changed since (not stored yet).
   */
  forget(states: Iterable<StepState>, items: Map<string, ItemState>, written: readonly string[], dirty: ReadonlySet<string>): void {
    const forgetOutput = (key: string) => {
      const item = items.get(key);
      if (item && (item.status === "ok" || item.status === "failed") && !dirty.has(key)) delete item.output;
    };
    for (const state of states) {
      const fanout = state.fanout;
      if (!fanout || (fanout.bytes ?? 0) <= MAX_FANOUT_INPUT_BYTES || this.steps.has(state.id)) continue;
      this.steps.add(state.id);
      for (let i = 0; i < fanout.total; i++) forgetOutput(itemKey(state.id, i));
    }
    for (const key of written) {
      if (!key.startsWith("item:")) continue;
      if (this.steps.has(key.slice(5, key.lastIndexOf(":")))) forgetOutput(key);
      forgetReplayContent(items.get(key), dirty.has(key));
    }
  }
}

/** A stored, finished item's calls without their replay content (its timeline and spans need only the times). */
function forgetReplayContent(item: ItemState | undefined, dirty: boolean): void {
  if (!item?.calls || dirty || (item.status !== "ok" && item.status !== "failed")) return;
  if (holdsReplayContent(item.calls)) item.calls = item.calls.map(withoutReplayContent);
}

/** A fanout step's items as stored (outputs included), in index order from `from`, at most `limit`. */
export async function storedItems(storage: ItemStorage, stepId: string, from: number, limit: number): Promise<ItemState[]> {
  return [...(await storage.list<ItemState>({ prefix: `item:${stepId}:`, start: itemKey(stepId, from), limit })).values()];
}

/** Items read from storage at a time when a run is loaded. */
const LOAD_CHUNK = 500;

/**
 * Every stored item, handed to `take` chunk by chunk in key order, so the caller can forget
 * outputs as it goes: a wide fanout's outputs are never all in memory at once.
 */
export async function loadItemsInChunks(storage: ItemStorage, take: (chunk: Map<string, ItemState>) => void): Promise<void> {
  for (let start: string | undefined; ; ) {
    const chunk = await storage.list<ItemState>({ prefix: "item:", ...(start === undefined ? {} : { start }), limit: LOAD_CHUNK });
    take(chunk);
    if (chunk.size < LOAD_CHUNK) return;
    start = `${[...chunk.keys()].at(-1)}\u0000`; // the key right after the last one read
  }
}
