import { DurableObject } from "cloudflare:workers";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { OrchestratorEnv } from "../env.ts";
import { DurableEventStore } from "./event-store.ts";
import { createWorkflowServer } from "./server.ts";
import { sessionNotFound } from "./session-not-found.ts";

/** A session nobody used for this long is deleted (its stored initialize request and events). */
const IDLE_SESSION_MS = 24 * 60 * 60 * 1000;
const INITIALIZE_KEY = "initialize";

interface Live {
  server: Server;
  transport: WebStandardStreamableHTTPServerTransport;
}

/**
 * One MCP session (`Mcp-Session-Id` is this object's id). Every request of the session reaches
 * this object, so a client's answer to an elicitation meets the call that asked, and a dropped
 * stream can be resumed from the events kept here. The session's state lives in storage (the
 * client's initialize request, the events): an evicted object rebuilds its server by replaying
 * that initialize, so the session outlives the instance. What a call does lives in its run.
 */
export class McpSessionDO extends DurableObject<OrchestratorEnv> {
  private live: Promise<Live> | undefined;

  /** The route checked the token, Host and Origin and parsed the body (passed as JSON text). */
  override async fetch(request: Request): Promise<Response> {
    const body: unknown = request.method === "POST" ? await request.json() : undefined;
    const initializing = isInitializeRequest(body);
    if (!initializing && (await this.ctx.storage.get(INITIALIZE_KEY)) === undefined) return sessionNotFound();
    this.live ??= this.start(initializing).catch((error: unknown) => {
      this.live = undefined; // the next request tries again
      throw error;
    });
    const live = await this.live;
    if (initializing) await this.ctx.storage.put(INITIALIZE_KEY, body);
    await this.ctx.storage.setAlarm(Date.now() + IDLE_SESSION_MS);
    const response = await live.transport.handleRequest(request, body === undefined ? {} : { parsedBody: body });
    if (request.method === "DELETE" && response.ok) await this.end();
    return response;
  }

  override async alarm(): Promise<void> {
    await this.end();
  }

  private async end(): Promise<void> {
    const live = this.live;
    this.live = undefined;
    await (await live)?.transport.close();
    await this.ctx.storage.deleteAll();
  }

  /** The session's server and transport; a rebuilt one replays the stored initialize request first. */
  private async start(initializing: boolean): Promise<Live> {
    const server = createWorkflowServer(this.env);
    const sessionId = this.ctx.id.toString();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      eventStore: new DurableEventStore(this.ctx.storage),
    });
    await server.connect(transport);
    const stored = initializing ? undefined : await this.ctx.storage.get(INITIALIZE_KEY);
    if (stored !== undefined) {
      const replay = new Request("https://mcp/mcp", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify(stored),
      });
      await (await transport.handleRequest(replay, { parsedBody: stored })).text();
    }
    return { server, transport };
  }
}
