import type { JsonObject } from "../../../../shared/expr/index.ts";
import type { FanoutItemOutcome } from "../engine/fanout-result.ts";
import type { ItemState } from "./model.ts";

/** A finished fanout item as the aggregation sees it: its output, or its error. */
export function itemOutcome(item: ItemState): FanoutItemOutcome {
  return item.status === "ok"
    ? { ok: true, output: (item.output ?? {}) as JsonObject, metrics: item.metrics ?? null }
    : { ok: false, error: item.error ?? "failed", metrics: item.metrics ?? null };
}
