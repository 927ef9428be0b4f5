import { describe, expect, it } from "vitest";
import { SseParser } from "../../../ui/src/sse-parser.ts";
import { formatSse } from "../../../workers/orchestrator/src/run/event-stream.ts";

describe("the viewer's Server-Sent Events parser", () => {
  it("reads what the orchestrator's event stream writes, split anywhere", () => {
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
      const parser = new SseParser();
      const messages = [...parser.push(wire.slice(0, cut)), ...parser.push(wire.slice(cut))];
      expect(messages).toEqual([
        { event: "message", data: "", retry: 1000 },
        { id: "7", event: "step_completed", data: JSON.stringify(event) },
      ]);
    }
  });

  it("joins multi-line data and accepts CRLF and CR line ends", () => {
    const parser = new SseParser();
    expect(parser.push("event: x\r\ndata: one\r\ndata:two\r\r\n")).toEqual([{ event: "x", data: "one\ntwo" }]);
    expect(parser.push("data: a\r")).toEqual([]);
    expect(parser.push("\n\n")).toEqual([{ event: "message", data: "a" }]);
  });

  it("dispatches nothing for an event without data", () => {
    expect(new SseParser().push("event: ping\n\n")).toEqual([]);
  });
});
