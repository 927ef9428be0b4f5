// Reading a fanout's items and envelope as a client would (fanout-items tests).
import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { get } from "./helpers.ts";

/** A script for the test runtime whose output carries a pad of `bytes` bytes and the item's step id. */
export const padded = (bytes: number) => JSON.stringify({ pad_bytes: bytes });
export const indexes = (n: number) => Array.from({ length: n }, (_, i) => i);

export interface ItemPage {
  step_id: string;
  total: number;
  items: Array<{ index: number; status: string; output?: { step_id: string; pad: string }; error?: string }>;
  next_cursor: string | null;
}

/** Every item of a fanout step, following next_cursor; also the number of pages. */
export async function allItems(runId: string, stepId: string, limit: number): Promise<{ items: ItemPage["items"]; pages: number; total: number }> {
  const items: ItemPage["items"] = [];
  let cursor: string | null = null;
  let pages = 0;
  let total = -1;
  do {
    const query: string = `limit=${limit}${cursor === null ? "" : `&cursor=${cursor}`}`;
    const { status, body } = await get<ItemPage>(`/runs/${runId}/steps/${stepId}/items?${query}`);
    expect(status).toBe(200);
    items.push(...body.items);
    total = body.total;
    cursor = body.next_cursor;
    pages += 1;
  } while (cursor !== null);
  return { items, pages, total };
}

export async function envelopeOf(runId: string): Promise<{ status: number; type: string | null; body: { steps: Array<{ id: string; output: unknown }> } }> {
  const res = await SELF.fetch(`https://ktsu.test/runs/${runId}/envelope`);
  return { status: res.status, type: res.headers.get("content-type"), body: JSON.parse(await res.text()) };
}
