import { describe, expect, it } from "vitest";
import { GatewayInvokeRequestSchema } from "../../shared/contracts/schemas/gateway.ts";
import { parseWith } from "../../shared/contracts/schemas/parse.ts";
import { HeartbeatPayloadSchema, ReceivedCallbackSchema } from "../../shared/contracts/schemas/runtime.ts";

describe("parseWith: a payload that does not fit its contract names the field", () => {
  it("names nested fields with dots and array items with brackets", () => {
    expect(parseWith(HeartbeatPayloadSchema, { runtime_id: "rt", active: [{ run_id: "r", step_id: "s" }, { run_id: "r" }] })).toMatchObject({
      ok: false,
      field: "active[1].step_id",
      message: expect.stringMatching(/^field "active\[1\]\.step_id": /),
    });
    expect(parseWith(ReceivedCallbackSchema, { status: "ok", metrics: { tokens_in: "3" } })).toMatchObject({ ok: false, field: "metrics.tokens_in" });
  });

  it("fills what a sender may leave out, and keeps what it sent", () => {
    const parsed = parseWith(ReceivedCallbackSchema, { status: "failed", error: "boom", metrics: { tokens_in: 3 } });
    expect(parsed).toEqual({ ok: true, value: { status: "failed", output: null, error: "boom", metrics: { tokens_in: 3 } } });
  });

  it("reads an optional field sent as null as absent (the gateway's request)", () => {
    const parsed = parseWith(GatewayInvokeRequestSchema, {
      group: "g",
      messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c", name: "t", arguments: null }] }],
      max_tokens: 5,
      temperature: null,
    });
    expect(parsed.ok && parsed.value.messages[0]).toMatchObject({ role: "assistant", tool_calls: [{ id: "c", name: "t", arguments: {} }] });
    expect(parsed.ok && parsed.value.temperature).toBeUndefined();
    expect(parseWith(GatewayInvokeRequestSchema, { messages: [{ role: "tool", content: "x" }], max_tokens: 5 })).toMatchObject({
      ok: false,
      field: "messages[0].tool_call_id",
      issue: "is required for a tool message",
    });
  });
});
