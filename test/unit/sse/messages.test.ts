// Reading an event stream's text into messages (shared/sse/messages.ts).
import { describe, expect, it } from "vitest";
import { SseMessageReader } from "../../../shared/sse/messages.ts";
import { formatSse } from "../../../workers/orchestrator/src/run/event-stream.ts";

describe("SseMessageReader", () => {
  it("parses messages split anywhere, with CRLF, CR and LF line ends, comments and multi-line data", () => {
    const stream =
      ': keepalive\r\n\r\nretry: 250\nid: 1\nevent: a\ndata: {"x":1}\r\n\r\nid: 2\revent: b\rdata: line one\rdata: line two\r\rdata: no id or event\n\n';
    // Fed one character at a time: every split point must work (CRLF split between chunks too).
    const reader = new SseMessageReader();
    const messages = [...stream].flatMap((ch) => reader.push(ch));
    expect(messages).toEqual([
      { id: "1", event: "a", data: '{"x":1}' },
      { id: "2", event: "b", data: "line one\nline two" },
      { id: "2", event: "message", data: "no id or event" },
    ]);
    expect(reader.retry).toBe(250);
  });

  it("reads what the orchestrator's event stream writes, cut at any point", () => {
    const event = {
      run_id: "run_1",
      seq: 7,
      type: "step_completed" as const,
      step_id: "a",
      data: { status: "complete", cost_usd: 0.1 },
      created_at: "2026-01-01T00:00:00.000Z",
    };
    const wire = `retry: 1000\n\n: keepalive\n\n${formatSse(event)}`;
    for (let cut = 0; cut <= wire.length; cut++) {
      const reader = new SseMessageReader();
      const messages = [...reader.push(wire.slice(0, cut)), ...reader.push(wire.slice(cut))];
      expect(messages).toEqual([{ id: "7", event: "step_completed", data: JSON.stringify(event) }]);
      expect(reader.retry).toBe(1000);
    }
  });

  it("yields nothing for a retry-only message, but takes its delay", () => {
    const reader = new SseMessageReader();
    expect(reader.push("retry: 5\n\n")).toEqual([]);
    expect(reader.retry).toBe(5);
    expect(reader.push("retry: soon\n\n")).toEqual([]);
    expect(reader.retry).toBe(5); // not a number of milliseconds: ignored
  });

  it("does not dispatch a message that has no data, nor a half-received one", () => {
    const reader = new SseMessageReader();
    expect(reader.push("id: 5\nevent: x\n\n")).toEqual([]);
    expect(reader.lastEventId).toBe("5"); // the id still takes effect
    expect(reader.push("id: 6\ndata: partial")).toEqual([]);
    expect(new SseMessageReader().push("\n\n")).toEqual([]);
  });
});
