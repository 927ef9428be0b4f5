// The egress proxy relaying event streams (a legacy MCP session's GET, a resumed response
// stream): streamed as written, not cut at the request timeout, capped per event rather than
// per response, released when the caller lets go, and ended at the lifetime ceiling.
import { createExecutionContext, env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createGatewayApp } from "../../../workers/gateway/src/app.ts";
import { eventSizeMeter } from "../../../workers/gateway/src/egress-stream.ts";

const STREAMS_URL = (env as unknown as { STREAMS_URL: string }).STREAMS_URL;
const decoder = new TextDecoder();
let counter = 0;
const streamName = (label: string) => `${label}-${Date.now().toString(36)}-${++counter}`;

function egressRequest(target: string, timeoutMs?: number): Request {
  const headers: Record<string, string> = { "x-ktsu-egress-url": target, accept: "text/event-stream" };
  if (timeoutMs !== undefined) headers["x-ktsu-egress-timeout-ms"] = String(timeoutMs);
  return new Request("https://gateway/egress", { headers });
}

async function control(path: string, body?: string): Promise<Response> {
  return fetch(`${STREAMS_URL}${path}`, body === undefined ? {} : { method: "POST", body });
}

async function state(name: string): Promise<{ opened: boolean; closed: boolean }> {
  return (await (await control(`/__state/${name}`)).json()) as { opened: boolean; closed: boolean };
}

/** Polls until `check` holds (the test's own timeout bounds a condition that never comes). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 25));
}

/** Reads until the text received so far contains `expected`. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, expected: string): Promise<string> {
  let text = "";
  while (!text.includes(expected)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`stream ended before ${JSON.stringify(expected)}; got ${JSON.stringify(text)}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

/** Reads to the end; `failed` when the stream errored rather than ended. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<{ text: string; failed: boolean }> {
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, failed: false };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { text, failed: true };
  }
}

async function openStream(name: string, timeoutMs?: number, query = ""): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const res = await SELF.fetch(egressRequest(`${STREAMS_URL}/events/${name}${query}`, timeoutMs));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const reader = res.body!.getReader();
  await readUntil(reader, ": open\n\n");
  return reader;
}

describe("event streams through the egress", () => {
  it("relays each event as the target writes it, and ends when the target ends", async () => {
    const name = streamName("relay");
    const reader = await openStream(name);
    await control(`/__write/${name}`, "event: endpoint\ndata: /messages?sessionId=1\n\n");
    expect(await readUntil(reader, "\n\n")).toBe("event: endpoint\ndata: /messages?sessionId=1\n\n");
    await control(`/__write/${name}`, 'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n');
    expect(await readUntil(reader, "\n\n")).toContain('"id":1');
    await control(`/__end/${name}`);
    expect(await drain(reader)).toEqual({ text: "", failed: false });
  });

  it("keeps the stream open past the request timeout, which bounds only the wait for headers", async () => {
    const name = streamName("long");
    const reader = await openStream(name, 300);
    // A one-shot request with the same timeout, sent after the stream opened, timing out is
    // the signal that the stream has outlived its own timeout.
    const hung = await SELF.fetch(egressRequest(`${STREAMS_URL}/hang`, 300));
    expect(hung.status).toBe(504);
    expect(await hung.json()).toMatchObject({ error: "egress_timeout" });
    await control(`/__write/${name}`, "data: still here\n\n");
    expect(await readUntil(reader, "\n\n")).toBe("data: still here\n\n");
    expect((await state(name)).closed).toBe(false);
    await reader.cancel();
  });

  it("caps each event, not the whole stream: many small events pass, one oversized event ends it", async () => {
    const name = streamName("cap");
    const reader = await openStream(name, undefined, "?token=query-s3cret");
    // 8 KiB in all through a 4 KiB cap (KTSU_EGRESS_MAX_RESPONSE_BYTES in vitest.config.ts).
    for (let i = 0; i < 8; i++) {
      await control(`/__write/${name}`, `id: ${i}\r\ndata: ${"a".repeat(1000)}\r\n\r\n`);
      expect(await readUntil(reader, "\r\n\r\n")).toContain(`id: ${i}\r\n`);
    }
    // In one write: a small event, then an oversized one. The small one still arrives.
    await control(`/__write/${name}`, `data: last\n\ndata: ${"b".repeat(5000)}\n\n`);
    const rest = await drain(reader);
    expect(rest.failed).toBe(false);
    expect(rest.text.startsWith("data: last\n\n")).toBe(true);
    // What was relayed of the oversized event has no blank line after it: a reader drops it.
    expect(rest.text.slice("data: last\n\n".length)).not.toContain("\n\n");
    expect(rest.text).not.toContain("b".repeat(4097));
    await until(async () => (await state(name)).closed);

    const logged = (globalThis as { __gatewayConsole?: string[] }).__gatewayConsole ?? [];
    const warning = logged.find((line) => line.includes("egress: event stream from"));
    expect(warning).toBe(`egress: event stream from ${new URL(STREAMS_URL).host} cut: an event exceeds 4096 bytes`);
    expect(logged.join("\n")).not.toContain("query-s3cret");
  });

  it("releases the target's connection when the caller cancels the stream", async () => {
    const name = streamName("cancel");
    const reader = await openStream(name);
    expect(await state(name)).toEqual({ opened: true, closed: false });
    await reader.cancel();
    await until(async () => (await state(name)).closed);
  });

  it("ends a stream nobody closes at the lifetime ceiling, releasing the target", async () => {
    const name = streamName("ceiling");
    const app = createGatewayApp({ gateway: null });
    const res = await app.fetch(egressRequest(`${STREAMS_URL}/events/${name}`), { ...env, KTSU_EGRESS_MAX_STREAM_MS: "200" }, createExecutionContext());
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    // Ended cleanly (not failed) although the target never ended it.
    expect((await drain(reader)).failed).toBe(false);
    await until(async () => (await state(name)).closed);
  });
});

describe("the per-event size meter", () => {
  const events = (max: number, ...chunks: string[]) => {
    const within = eventSizeMeter(max);
    return chunks.map((chunk) => within(new TextEncoder().encode(chunk)) === undefined);
  };

  it("resets at the blank line, whichever line ends the stream uses", () => {
    expect(events(10, "data: 1234\n\n", "data: 1234\r\n\r\n", "data: 1234\r\r")).toEqual([true, true, true]);
    expect(events(10, "data: 12345\n")).toEqual([false]);
  });

  it("counts an event across chunks, and a CRLF split between chunks as one line end", () => {
    // "data: 12\r" + "\n" + "data: 3\r\n" is one event of 15 bytes (without line ends) until the blank line.
    expect(events(15, "data: 12\r", "\ndata: 3\r\n", "\r\n", "data: 12345678\n\n")).toEqual([true, true, true, true]);
    expect(events(14, "data: 12\r", "\ndata: 3\r\n")).toEqual([true, false]);
  });

  it("tells how much of the chunk finishes the events before the oversized one", () => {
    const meter = eventSizeMeter(10);
    const encode = (text: string) => new TextEncoder().encode(text);
    expect(meter(encode("data: 1\r\n\r\ndata: 12345678901\n\n"))).toBe("data: 1\r\n\r\n".length);
    expect(eventSizeMeter(10)(encode("data: 12345678901"))).toBe(0);
  });
});
