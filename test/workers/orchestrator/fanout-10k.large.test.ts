// 10,000 fanout items of 4 KiB each: about a minute inside workerd, so apart from `npm test`
// (`npm run test:large`, in CI).
import { describe, expect, it } from "vitest";
import { settled, start, step } from "./helpers.ts";
import { allItems, envelopeOf, indexes, padded } from "./item-pages.ts";

describe("a fanout of 10,000 items", () => {
  it("10,000 items of 4 KiB complete, page through the API and stream in the envelope", async () => {
    const runId = await start("fanout-large", { items: indexes(10_000), script: padded(4096) });
    const view = await settled(runId, 600_000);
    expect(view.run.status).toBe("complete");
    expect((step(view, "each").output as { results_paged: { items: number } }).results_paged.items).toBe(10_000);
    const { items, total } = await allItems(runId, "each", 1000);
    expect(total).toBe(10_000);
    expect(items.map((item) => item.output?.step_id)).toEqual(indexes(10_000).map((i) => `each.${i}`));
    expect(items.every((item) => item.status === "ok" && item.output?.pad.length === 4096)).toBe(true);
    const envelope = await envelopeOf(runId);
    const results = (envelope.body.steps[0]!.output as { results: Array<{ step_id: string }> }).results;
    expect(results.map((r) => r.step_id)).toEqual(indexes(10_000).map((i) => `each.${i}`));
  }, 900_000);
});
