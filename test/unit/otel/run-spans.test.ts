import { describe, expect, it } from "vitest";
import type { RunRecord, StepRecord } from "../../../shared/contracts/records.ts";
import { createScrubber } from "../../../shared/secrets/scrub.ts";
import { encodeSpans } from "../../../shared/otel/otlp-json.ts";
import { runSpans } from "../../../shared/otel/run-spans.ts";
import { parseTraceparent, runSpanId, runTraceFrom, stepSpanId, traceparentOf } from "../../../shared/otel/trace-context.ts";
import { otlpTarget, parseOtlpHeaders } from "../../../shared/otel/otlp-target.ts";

const SECRET = "hunter2-secret-value";
const metrics = { duration_ms: 5, tokens_in: 10, tokens_out: 4, cost_usd: 0.000018, llm_calls: 1, tool_calls: 1 };

const run: RunRecord = {
  id: "run_0123456789abcdef",
  workflow_name: "triage",
  status: "failed",
  error: `step lookup failed: token ${SECRET} refused`,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:02.000Z",
  metadata: { source: "queue", message_id: "m1" },
};
const step: StepRecord = {
  id: "lookup",
  run_id: run.id,
  name: "lookup",
  type: "agent",
  status: "failed",
  seq: 0,
  started_at: "2026-01-01T00:00:00.100Z",
  ended_at: "2026-01-01T00:00:01.900Z",
  error: `tool search: 401 for ${SECRET}`,
  metrics,
  calls: [
    {
      kind: "llm",
      started_at: "2026-01-01T00:00:00.200Z",
      ended_at: "2026-01-01T00:00:00.700Z",
      group: "default",
      model: "openai/gpt-4o-mini",
      tokens_in: 10,
      tokens_out: 4,
      cost_usd: 0.000018,
    },
    {
      kind: "tool",
      started_at: "2026-01-01T00:00:00.800Z",
      ended_at: "2026-01-01T00:00:01.800Z",
      server: "search",
      tool: "search",
      error: `401 for ${SECRET}`,
    },
  ],
};

describe("trace context", () => {
  it("reads a valid traceparent and refuses malformed or all-zero ones", () => {
    expect(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toEqual({
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      parent_span_id: "00f067aa0ba902b7",
      sampled: true,
    });
    expect(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled).toBe(false);
    for (const bad of ["", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]) {
      expect(parseTraceparent(bad)).toBeNull();
    }
    const fresh = runTraceFrom(undefined);
    expect(fresh.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.parent_span_id).toBeUndefined();
    expect(traceparentOf(fresh, runSpanId(run.id))).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it("names spans the same way every time and differently per step", () => {
    expect(stepSpanId(run.id, "a")).toBe(stepSpanId(run.id, "a"));
    expect(stepSpanId(run.id, "a")).not.toBe(stepSpanId(run.id, "b"));
    expect(runSpanId(run.id)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("run spans", () => {
  const trace = { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", parent_span_id: "00f067aa0ba902b7", sampled: true };
  const scrub = createScrubber([SECRET]);
  const spans = runSpans({ run, steps: [step], trace, mask: (text) => scrub.text(text) });

  it("nests delivery → run → step → calls, with GenAI attributes", () => {
    expect(spans.map((s) => s.name)).toEqual(["process ktsu-runs", "run triage", "step lookup", "chat default", "execute_tool search"]);
    const [delivery, runSpan, stepSpan, llm, tool] = spans;
    expect(delivery!.parentSpanId).toBe(trace.parent_span_id);
    expect(runSpan!.parentSpanId).toBe(delivery!.spanId);
    expect(stepSpan!.parentSpanId).toBe(runSpan!.spanId);
    expect(llm!.parentSpanId).toBe(stepSpan!.spanId);
    expect(tool!.parentSpanId).toBe(stepSpan!.spanId);
    expect(llm!.attributes).toMatchObject({
      "gen_ai.provider.name": "openai",
      "gen_ai.system": "openai",
      "gen_ai.request.model": "default",
      "gen_ai.response.model": "gpt-4o-mini",
      "gen_ai.usage.input_tokens": 10,
      "gen_ai.usage.output_tokens": 4,
      "gen_ai.usage.cost": 0.000018,
    });
    expect(tool!.attributes).toMatchObject({ "gen_ai.tool.name": "search", "ktsu.mcp.server": "search" });
  });

  it("hangs a fanout item that made calls under its step, its calls under it, with ids of their own", () => {
    const fanout: StepRecord = { ...step, id: "each", error: undefined, status: "complete", calls: undefined };
    const [llm, tool] = step.calls!;
    const items = new Map([
      [
        "each",
        [
          { index: 0, status: "ok", calls: [llm!] },
          { index: 1, status: "failed", error: `item 1: 401 for ${SECRET}`, calls: [llm!, tool!] },
          { index: 2, status: "failed", error: "dispatch failed" },
        ],
      ],
    ]);
    const scrub = createScrubber([SECRET]);
    const out = runSpans({ run: { ...run, metadata: {} }, steps: [fanout], items, trace, mask: (text) => scrub.text(text) });
    expect(out.map((s) => s.name)).toEqual(["run triage", "step each", "item each[0]", "chat default", "item each[1]", "chat default", "execute_tool search"]);
    const [, stepSpan, item0, call0, item1, call1a, call1b] = out;
    expect(item0!.parentSpanId).toBe(stepSpan!.spanId);
    expect(call0!.parentSpanId).toBe(item0!.spanId);
    expect([call1a!.parentSpanId, call1b!.parentSpanId]).toEqual([item1!.spanId, item1!.spanId]);
    // The item spans from its first call's start to its last call's end.
    expect([item1!.start, item1!.end]).toEqual([llm!.started_at, tool!.ended_at]);
    expect(item1!.attributes).toMatchObject({ "ktsu.item.index": 1, "ktsu.item.status": "failed", "ktsu.cost_usd": 0.000018 });
    expect(new Set(out.map((s) => s.spanId)).size).toBe(out.length);
    expect(JSON.stringify(out)).not.toContain(SECRET);
  });

  it("masks a secret in every error and attribute, and encodes valid OTLP JSON", () => {
    const body = encodeSpans(spans);
    expect(body).not.toContain(SECRET);
    expect(body).toContain("[REDACTED]");
    const decoded = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: { startTimeUnixNano: string; status: { code: number } }[] }[] }[] };
    const encoded = decoded.resourceSpans[0]!.scopeSpans[0]!.spans;
    expect(encoded[1]!.startTimeUnixNano).toBe("1767225600000000000");
    expect(encoded[1]!.status.code).toBe(2);
  });
});

describe("the gateway's OTLP target", () => {
  it("appends /v1/traces to the base endpoint, takes a traces endpoint as given, and parses the headers", () => {
    expect(otlpTarget({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com/", OTEL_EXPORTER_OTLP_HEADERS: "x-key=a%3Db, other = c ,bad" })).toEqual({
      url: "https://otel.example.com/v1/traces",
      headers: { "x-key": "a=b", other: "c" },
    });
    expect(otlpTarget({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://t.example.com/custom" })?.url).toBe("https://t.example.com/custom");
    expect(otlpTarget({})).toBeNull();
    expect(parseOtlpHeaders(undefined)).toEqual({});
  });
});
