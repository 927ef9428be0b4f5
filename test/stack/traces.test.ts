// A run of the triage example (its classifier given a kv tool and a secret token) exported as one
// OpenTelemetry trace to a local OTLP/HTTP receiver, through the gateway: run → steps → LLM and
// tool calls → sub-run, GenAI attributes and costs, the caller's trace context, no secret anywhere;
// a fanout's items each as a span with its LLM call.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { type StartedProject, startLocalProject } from "../../cli/src/stack/start-local.ts";
import type { RunRecord, StepRecord } from "../../shared/contracts/records.ts";
import { type FakeProvider, startFakeProvider } from "../fake-provider/server.ts";
import { type HttpSink, startHttpSink } from "../support/http-sink.ts";
import { type ReceivedSpan, receivedSpans } from "../support/otlp.ts";
import { waitFor } from "../support/poll.ts";

const SECRET = "tr4ce-secret-token-5f1e";
const EXPORT_KEY = "otlp-key-9d2c";
const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

/** The triage example, its classifier given the kv server (authenticated with a secret param) and a tool call. */
async function triageWithTool(dir: string): Promise<void> {
  await cp(path.join(REPO_ROOT, "examples", "triage"), dir, { recursive: true });
  const workflow = path.join(dir, "workflows", "triage.workflow.yaml");
  let yaml = await readFile(workflow, "utf8");
  yaml = yaml.replace("      customer: { type: string }\n", "      customer: { type: string }\n      api_token: { type: string, secret: true }\n");
  yaml = yaml.replace('      ticket: "{{ params.ticket }}"\n', '      ticket: "{{ params.ticket }}"\n      token: "{{ params.api_token }}"\n');
  await writeFile(workflow, yaml);
  const agent = path.join(dir, "agents", "classifier.agent.yaml");
  let agentYaml = await readFile(agent, "utf8");
  agentYaml = agentYaml.replace("      ticket: { type: string }\n", "      ticket: { type: string }\n      token: { type: string, secret: true }\n");
  agentYaml = agentYaml.replace(
    "output:",
    "servers:\n  - name: kv\n    path: ../servers/kv.server.yaml\n    persistent_id: triage\n    access:\n      allowlist: [set]\noutput:",
  );
  await writeFile(agent, agentYaml);
  await mkdir(path.join(dir, "servers"), { recursive: true });
  await writeFile(path.join(dir, "servers", "kv.server.yaml"), 'name: kv\nurl: ktsu://tools/kv\nauth:\n  secret: "{{ params.token }}"\n');
  // A fanout beside it: one agent call per word (the fake provider answers from the output schema).
  await writeFile(
    path.join(dir, "agents", "tagger.agent.yaml"),
    'name: tagger\nmodel: default\nparams:\n  schema:\n    type: object\n    properties:\n      word: { type: string }\nprompt:\n  system: You tag one word.\n  user: "Tag {{ params.word }}"\noutput:\n  schema:\n    type: object\n    required: [tag]\n    properties:\n      tag: { type: string }\n',
  );
  await writeFile(
    path.join(dir, "workflows", "batch.workflow.yaml"),
    'name: batch\nparams:\n  schema:\n    type: object\n    properties:\n      words: { type: array }\npipeline:\n  - id: each\n    agent: agents/tagger.agent.yaml\n    for_each:\n      from: params.words\n      concurrency: 2\n    params:\n      word: "{{ item }}"\n',
  );
}

let dir: string;
let fake: FakeProvider;
let sink: HttpSink;
let started: StartedProject;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ktsu-traces-"));
  const project = path.join(dir, "triage");
  await triageWithTool(project);
  fake = await startFakeProvider({
    plans: [
      {
        match: "You triage support tickets",
        replies: [
          { tool_calls: [{ id: "call_note", name: "set", arguments: { key: "last-ticket", value: "checkout 500" } }] },
          { text: '{"category": "bug", "urgency": "high", "summary": "Checkout fails with a 500 error"}' },
        ],
      },
    ],
  });
  sink = await startHttpSink();
  started = await startLocalProject({
    projectDir: project,
    stateDir: path.join(dir, "state"),
    port: 0,
    environment: {
      ...process.env,
      KTSU_FAKE_PROVIDER_URL: fake.url,
      EXAMPLE_WEBHOOK_URL: `${sink.url}/hook`,
      OTEL_EXPORTER_OTLP_ENDPOINT: `${sink.url}/otel`,
      OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${EXPORT_KEY}`,
    },
  });
});

afterAll(async () => {
  await started?.stack.dispose();
  await fake?.close();
  await sink?.close();
  await rm(dir, { recursive: true, force: true });
});

const base = () => started.stack.url.href.replace(/\/$/, "");

async function getJson<T>(pathname: string): Promise<T> {
  const res = await fetch(`${base()}${pathname}`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

describe("traces", () => {
  it("exports a run of the triage example as one nested trace in the caller's trace, with GenAI attributes and costs and no secret", async () => {
    const res = await fetch(`${base()}/invoke/triage`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
      body: JSON.stringify({ ticket: "Checkout gives me a 500", customer: "ACME", api_token: SECRET }),
    });
    expect(res.status).toBe(202);
    const { run_id: runId } = (await res.json()) as { run_id: string };
    const subRunId = `${runId}/file`;

    // Each run's object exports its own spans once it ended: wait for both the run and its sub-run.
    const spans = (): ReceivedSpan[] => receivedSpans(sink.calls);
    await waitFor(
      () => ["run triage", "sub-run file-ticket"].every((name) => spans().some((s) => s.name === name)),
      "the run's and the sub-run's spans at the OTLP receiver",
      180_000,
    );
    const all = spans();
    const byName = (name: string) => {
      const found = all.filter((s) => s.name === name);
      expect(found, `one span named ${name} in ${all.map((s) => s.name).join(", ")}`).toHaveLength(1);
      return found[0]!;
    };

    // One trace: the caller's.
    expect(new Set(all.map((s) => s.traceId))).toEqual(new Set([CALLER_TRACE]));
    const run = byName("run triage");
    expect(run.parentSpanId).toBe(CALLER_SPAN);
    expect(run.attributes["ktsu.run.id"]).toBe(runId);
    expect(run.attributes["ktsu.run.status"]).toBe("complete");

    // run → steps
    const steps = Object.fromEntries(["classify", "record", "file"].map((id) => [id, byName(`step ${id}`)]));
    const webhook = byName("webhook page_oncall");
    for (const step of [...Object.values(steps), webhook]) expect(step.parentSpanId).toBe(run.spanId);
    expect(webhook.attributes["http.response.status_code"]).toBe(200);

    // classify → LLM calls and the tool call, with the GenAI attributes and the cost
    const calls = all.filter((s) => s.parentSpanId === steps.classify!.spanId);
    const llm = calls.filter((s) => s.attributes["gen_ai.operation.name"] === "chat");
    expect(llm).toHaveLength(2);
    for (const span of llm) {
      expect(span.name).toBe("chat default");
      expect(span.attributes).toMatchObject({
        "gen_ai.system": "fake",
        "gen_ai.provider.name": "fake",
        "gen_ai.request.model": "default",
        "gen_ai.response.model": "fake-model",
      });
      expect(span.attributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
      expect(span.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
      expect(span.attributes["gen_ai.usage.cost"]).toBeGreaterThan(0);
      expect(BigInt(span.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(span.startTimeUnixNano));
    }
    const tool = byName("execute_tool set");
    expect(tool.parentSpanId).toBe(steps.classify!.spanId);
    expect(tool.attributes).toMatchObject({ "gen_ai.tool.name": "set", "ktsu.mcp.server": "kv", "mcp.method.name": "tools/call" });
    // The calls happen in order: the tool call between the two LLM calls.
    const [first, second] = llm.sort((a, b) => Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano)));
    expect(BigInt(tool.startTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(first!.endTimeUnixNano));
    expect(BigInt(tool.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(second!.startTimeUnixNano));
    const stepCost = steps.classify!.attributes["ktsu.cost_usd"] as number;
    expect(stepCost).toBeCloseTo((first!.attributes["gen_ai.usage.cost"] as number) + (second!.attributes["gen_ai.usage.cost"] as number), 9);

    // file (workflow step) → sub-run → its step
    const subRun = byName("sub-run file-ticket");
    expect(subRun.parentSpanId).toBe(steps.file!.spanId);
    expect(subRun.attributes["ktsu.run.id"]).toBe(subRunId);
    expect(byName("step entry").parentSpanId).toBe(subRun.spanId);

    // Every span has a parent in the trace, except the run's (whose parent is the caller's).
    const ids = new Set(all.map((s) => s.spanId));
    expect(ids.size).toBe(all.length);
    for (const span of all) if (span !== run) expect(ids.has(span.parentSpanId ?? ""), span.name).toBe(true);

    // The context reached the webhook receiver, and the export reached the receiver with its headers.
    const page = sink.calls.find((c) => c.path === "/hook/page")!;
    expect(page.headers.traceparent).toBe(`00-${CALLER_TRACE}-${webhook.spanId}-01`);
    const exports = sink.calls.filter((c) => c.path === "/otel/v1/traces");
    for (const call of exports) expect(call.headers["x-api-key"]).toBe(EXPORT_KEY);

    // No secret anywhere: not in the exported spans, not in the stored records the spans came from.
    for (const call of exports) expect(call.body).not.toContain(SECRET);
    const stored = await getJson<{ run: RunRecord; steps: StepRecord[] }>(`/runs/${encodeURIComponent(runId)}`);
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(stored.run.trace_parent).toBe(`00-${CALLER_TRACE}-${run.spanId}-01`);
    const classify = stored.steps.find((s) => s.id === "classify")!;
    expect(classify.calls?.map((c) => c.kind)).toEqual(["llm", "tool", "llm"]);
  });

  it("hangs a queued run under its delivery span, in the trace of the request that enqueued it", async () => {
    const producerTrace = "0af7651916cd43dd8448eb211c80319c";
    const producerSpan = "b7ad6b7169203331";
    const res = await fetch(`${base()}/enqueue/triage`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${producerTrace}-${producerSpan}-01`, "idempotency-key": "trace-queue-1" },
      body: JSON.stringify({ ticket: "Invoice is wrong", customer: "Initech" }),
    });
    expect(res.status).toBe(202);
    const { run_id: runId } = (await res.json()) as { run_id: string };
    const inTrace = () => receivedSpans(sink.calls).filter((s) => s.traceId === producerTrace);
    await waitFor(() => inTrace().some((s) => s.name === "run triage"), "the queued run's spans at the OTLP receiver", 180_000);
    const delivery = inTrace().find((s) => s.name === "process ktsu-runs")!;
    expect(delivery.parentSpanId).toBe(producerSpan);
    expect(delivery.attributes["messaging.system"]).toBe("cloudflare_queues");
    const run = inTrace().find((s) => s.name === "run triage")!;
    expect(run.parentSpanId).toBe(delivery.spanId);
    expect(run.attributes["ktsu.run.id"]).toBe(runId);
  });

  it("gives each fanout item a span under its step, with the item's LLM call under it", async () => {
    const fanoutTrace = "5c1e0d9f2b8a4e7f9a3b6c2d1e0f4a5b";
    const res = await fetch(`${base()}/invoke/batch`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${fanoutTrace}-${CALLER_SPAN}-01` },
      body: JSON.stringify({ words: ["alpha", "beta", "gamma"] }),
    });
    expect(res.status).toBe(202);
    const inTrace = () => receivedSpans(sink.calls).filter((s) => s.traceId === fanoutTrace);
    await waitFor(() => inTrace().some((s) => s.name === "run batch"), "the fanout run's spans at the OTLP receiver", 180_000);
    const spans = inTrace();
    const step = spans.find((s) => s.name === "step each")!;
    const items = spans.filter((s) => s.name.startsWith("item each[")).sort((a, b) => a.name.localeCompare(b.name));
    expect(items.map((s) => s.name)).toEqual(["item each[0]", "item each[1]", "item each[2]"]);
    for (const item of items) {
      expect(item.parentSpanId).toBe(step.spanId);
      const calls = spans.filter((s) => s.parentSpanId === item.spanId);
      expect(calls.map((s) => s.name)).toEqual(["chat default"]);
      expect(calls[0]!.attributes["gen_ai.usage.cost"]).toBeGreaterThan(0);
      expect(item.attributes["ktsu.cost_usd"]).toBe(calls[0]!.attributes["gen_ai.usage.cost"]);
    }
  });
});
