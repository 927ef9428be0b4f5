// A secret param whose value is a short word ("tok") is masked in everything the
// run stores and serves, and never rewrites JSON keys such as `tokens_in`
// (rules: shared/secrets/scrub.ts, docs/secrets.md).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RunDO } from "../../../workers/orchestrator/src/run/run-do.ts";
import { get, script, settled, start, step } from "./helpers.ts";

const SECRET = "tok";
const STANDALONE = /(?<![\p{L}\p{N}\p{M}_])tok(?![\p{L}\p{N}\p{M}_])/u;

/** Every key and every string inside a value. */
function keysAndStrings(value: unknown): { keys: string[]; strings: string[] } {
  const keys: string[] = [];
  const strings: string[] = [];
  const walk = (item: unknown) => {
    if (typeof item === "string") strings.push(item);
    else if (Array.isArray(item)) item.forEach(walk);
    else if (typeof item === "object" && item !== null) {
      for (const [key, inner] of Object.entries(item)) {
        keys.push(key);
        walk(inner);
      }
    }
  };
  walk(value);
  return { keys, strings };
}

/** D1 rows with their JSON columns parsed, so keys inside them are seen as keys. */
async function rowsOf(table: "runs" | "steps" | "events", column: "id" | "run_id", runId: string): Promise<unknown[]> {
  const { results } = await env.DB.prepare(`SELECT * FROM ${table} WHERE ${column} = ?`).bind(runId).all<Record<string, unknown>>();
  return results.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([key, value]) => {
        if (typeof value !== "string" || !/^[[{]/.test(value)) return [key, value];
        try {
          return [key, JSON.parse(value)];
        } catch {
          return [key, value];
        }
      }),
    ),
  );
}

describe("a short secret param", () => {
  it("is masked where it stands alone, while tokens_in / tokens_out and every other key stay intact", async () => {
    const runId = await start("secret-agent", {
      script: script({ output: { answer: `the ${SECRET} is here`, note: "tokens stay" }, metrics: { tokens_in: 12, tokens_out: 3 } }),
      token: SECRET,
    });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(step(view, "a").output).toEqual({ answer: "the [REDACTED] is here", note: "tokens stay" });

    const envelope = (await get<Record<string, unknown>>(`/runs/${runId}/envelope`)).body;
    expect(envelope).toMatchObject({
      payload: { token: "[REDACTED]" },
      steps: [{ id: "a", output: { answer: "the [REDACTED] is here", note: "tokens stay" }, metrics: { tokens_in: 12, tokens_out: 3 } }],
      totals: { tokens_in: 12, tokens_out: 3 },
    });
    const stepMetrics = (envelope.steps as Array<{ metrics: Record<string, unknown> }>)[0]!.metrics;
    expect(Object.keys(stepMetrics).sort()).toEqual(["cost_usd", "duration_ms", "llm_calls", "tokens_in", "tokens_out", "tool_calls"]);

    // Everything served and stored for the run: no key rewritten, no standalone secret.
    const everything = [
      envelope,
      view,
      ...(await rowsOf("runs", "id", runId)),
      ...(await rowsOf("steps", "run_id", runId)),
      ...(await rowsOf("events", "run_id", runId)),
    ];
    const { keys, strings } = keysAndStrings(everything);
    expect(keys).toContain("tokens_in");
    expect(keys).toContain("tokens_out");
    for (const key of keys) expect(key).not.toContain("[REDACTED]");
    for (const text of strings) expect(text).not.toMatch(STANDALONE);
    // The scan is meaningful: the secret was masked in stored strings.
    expect(strings.some((text) => text.includes("the [REDACTED] is here"))).toBe(true);
  });
});

/** Every key and value in a run's Durable Object storage, as one text. */
async function storageDump(runId: string): Promise<string> {
  const runs = env.RUNS as unknown as DurableObjectNamespace<RunDO>;
  const stub = runs.get(runs.idFromName(runId));
  return runInDurableObject(stub, async (_instance, state) => JSON.stringify([...(await state.storage.list()).entries()]));
}

describe("a secret param passed to a sub-workflow in a plain param", () => {
  it("is stored masked by the sub-run (output, steps, events) and the parent; only sealed params hold it", async () => {
    const password = "pw-subrun-4c8e1a9f37";
    const runId = await start("secret-pass-parent", { password, note: "plain note" });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    // The child saw the real value (its output mapped it), and handed it back masked.
    expect(step(view, "call").output).toEqual({ copied: "[REDACTED]", note: "plain note" });

    const childId = `${runId}/call`;
    const child = await get<{ run: { status: string } }>(`/runs/${encodeURIComponent(childId)}`);
    expect(child.body.run.status).toBe("complete");
    for (const id of [runId, childId]) {
      const dump = await storageDump(id);
      expect(dump).toContain('"event:'); // the dump is the run's state
      expect(dump).toContain('"sealed":"v1.'); // the params are there, encrypted
      expect(dump).not.toContain(password);
    }
    // The sub-run's stored output holds the masked value.
    expect(await storageDump(childId)).toContain('"copied":"[REDACTED]"');
  });
});
