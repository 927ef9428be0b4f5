// A local stand-in for the Cloudflare API (api.cloudflare.com/client/v4) that
// `wrangler` talks to when CLOUDFLARE_API_BASE_URL points here. It keeps just
// enough state (D1 databases, queues, Hyperdrive configs, Worker scripts with their bindings and
// secrets) to answer what `ktsu deploy` makes wrangler ask, and records every
// request in order, so a test can check what a deploy would have sent.
// Requests it does not know get a Cloudflare-style 404 and are listed in `unhandled`.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  seq: number;
  method: string;
  path: string;
  query: URLSearchParams;
  /** JSON bodies parsed; multipart bodies as their parts (file parts as text); others as text. */
  body: unknown;
}

export interface UploadedScript {
  seq: number;
  /** The `metadata` part of the upload: bindings, migrations, main module, … */
  metadata: Record<string, unknown> & { bindings?: { type: string; name: string; [key: string]: unknown }[] };
  /** Module name → source. */
  modules: Record<string, string>;
}

export interface ScriptState {
  uploads: UploadedScript[];
  /** Secret name → the sequence number of the request that set it. */
  secrets: Map<string, number>;
  migrationTag?: string;
  schedules?: unknown;
  subdomainEnabled?: boolean;
}

export interface CloudflareApi {
  /** `CLOUDFLARE_API_BASE_URL` for wrangler. */
  baseUrl: string;
  accountId: string;
  requests: RecordedRequest[];
  unhandled: RecordedRequest[];
  /** `queries`: each SQL text with the sequence number of its request. */
  databases: Map<string, { uuid: string; name: string; queries: { seq: number; sql: string }[] }>;
  queues: Map<string, { queue_id: string; queue_name: string; consumers: Record<string, unknown>[] }>;
  scripts: Map<string, ScriptState>;
  /** Hyperdrive configs by id: `origin` as created, password included (the API keeps it and never returns it). */
  hyperdrives: Map<string, { id: string; name: string; origin: Record<string, unknown>; caching?: unknown }>;
  close(): Promise<void>;
}

const ok = (result: unknown, extra: Record<string, unknown> = {}) => ({ success: true, errors: [], messages: [], result, ...extra });
const fail = (code: number, message: string) => ({ success: false, errors: [{ code, message }], messages: [], result: null });

async function readBody(req: IncomingMessage, url: URL): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  if (raw.length === 0) return undefined;
  const type = req.headers["content-type"] ?? "";
  if (type.startsWith("multipart/form-data")) {
    const form = await new Request(url, { method: "POST", headers: { "content-type": type }, body: raw }).formData();
    const parts: Record<string, string> = {};
    for (const [name, value] of form.entries()) parts[name] = typeof value === "string" ? value : await value.text();
    return parts;
  }
  const text = raw.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Starts the stand-in on a free loopback port. */
export async function startCloudflareApi(): Promise<CloudflareApi> {
  const accountId = "0123456789abcdef0123456789abcdef";
  const api: Omit<CloudflareApi, "baseUrl" | "close"> = {
    accountId,
    requests: [],
    unhandled: [],
    databases: new Map(),
    queues: new Map(),
    scripts: new Map(),
    hyperdrives: new Map(),
  };
  const script = (name: string): ScriptState => {
    let state = api.scripts.get(name);
    if (!state) {
      state = { uploads: [], secrets: new Map() };
      api.scripts.set(name, state);
    }
    return state;
  };

  const route = (r: RecordedRequest): [number, unknown] => {
    const acct = `/client/v4/accounts/${accountId}`;
    if (!r.path.startsWith(acct)) {
      if (r.path === "/client/v4/user/tokens/verify") return [200, ok({ id: "token", status: "active" })];
      return [404, fail(7003, `no route for ${r.method} ${r.path}`)];
    }
    const p = r.path.slice(acct.length);
    const m = (re: RegExp) => re.exec(p);
    let x: RegExpExecArray | null;

    // D1
    if (p === "/d1/database" && r.method === "GET") {
      const page = Number(r.query.get("page") ?? "1");
      const list =
        page > 1 ? [] : [...api.databases.values()].map(({ uuid, name }) => ({ uuid, name, version: "production", created_at: "2026-01-01T00:00:00Z" }));
      return [200, ok(list, { result_info: { page, per_page: 1000, count: list.length, total_count: list.length } })];
    }
    if (p === "/d1/database" && r.method === "POST") {
      const { name } = r.body as { name: string };
      if ([...api.databases.values()].some((db) => db.name === name)) return [400, fail(7502, "A database with that name already exists")];
      const db = { uuid: randomUUID(), name, queries: [] };
      api.databases.set(db.uuid, db);
      return [200, ok({ uuid: db.uuid, name, created_in_region: "WEUR" })];
    }
    x = r.method === "GET" ? m(/^\/d1\/database\/([^/]+)$/) : null;
    if (x) {
      const db = api.databases.get(x[1]!);
      return db ? [200, ok({ uuid: db.uuid, name: db.name, version: "production", num_tables: 0, file_size: 0 })] : [404, fail(7404, "database not found")];
    }
    x = r.method === "POST" ? m(/^\/d1\/database\/([^/]+)\/(query|raw)$/) : null;
    if (x) {
      const db = api.databases.get(x[1]!);
      if (!db) return [404, fail(7404, "database not found")];
      const body = r.body as { sql: string };
      db.queries.push({ seq: r.seq, sql: body.sql });
      const results = x[2] === "raw" ? { columns: [], rows: [] } : [];
      return [200, ok([{ results, success: true, meta: { changed_db: true, changes: 0, duration: 1, rows_read: 0, rows_written: 0 } }])];
    }

    // Hyperdrive: the API answers with the origin without its password.
    const hyperdriveView = ({ origin, ...rest }: { id: string; name: string; origin: Record<string, unknown>; caching?: unknown }) => {
      const { password: _password, ...shown } = origin;
      return { ...rest, origin: shown, caching: rest.caching ?? { disabled: false } };
    };
    if (p === "/hyperdrive/configs" && r.method === "GET") {
      const list = [...api.hyperdrives.values()].map(hyperdriveView);
      return [200, ok(list, { result_info: { page: 1, per_page: 20, count: list.length, total_count: list.length } })];
    }
    if (p === "/hyperdrive/configs" && r.method === "POST") {
      const body = r.body as { name: string; origin: Record<string, unknown>; caching?: unknown };
      if ([...api.hyperdrives.values()].some((h) => h.name === body.name)) return [409, fail(2017, "A Hyperdrive config with that name already exists")];
      const config = { id: randomUUID().replaceAll("-", ""), name: body.name, origin: body.origin, caching: body.caching };
      api.hyperdrives.set(config.id, config);
      return [200, ok(hyperdriveView(config))];
    }
    x = r.method === "GET" ? m(/^\/hyperdrive\/configs\/([^/]+)$/) : null;
    if (x) {
      const config = api.hyperdrives.get(x[1]!);
      return config ? [200, ok(hyperdriveView(config))] : [404, fail(2008, "Hyperdrive config not found")];
    }

    // Queues
    if (p === "/queues" && r.method === "GET") {
      const name = r.query.get("name");
      const list = [...api.queues.values()].filter((q) => !name || q.queue_name === name).map((q) => queueView(q));
      return [200, ok(list, { result_info: { page: 1, per_page: 100, count: list.length, total_count: list.length } })];
    }
    if (p === "/queues" && r.method === "POST") {
      const { queue_name } = r.body as { queue_name: string };
      if ([...api.queues.values()].some((q) => q.queue_name === queue_name)) return [400, fail(11009, "queue name is already taken")];
      const q = { queue_id: randomUUID().replaceAll("-", ""), queue_name, consumers: [] };
      api.queues.set(q.queue_id, q);
      return [200, ok(queueView(q))];
    }
    x = r.method === "GET" ? m(/^\/queues\/([^/]+)$/) : null;
    if (x) {
      const q = api.queues.get(x[1]!);
      return q ? [200, ok(queueView(q))] : [404, fail(11000, "queue not found")];
    }
    x = r.method === "POST" ? m(/^\/queues\/([^/]+)\/consumers$/) : null;
    if (x) {
      const q = api.queues.get(x[1]!);
      if (!q) return [404, fail(11000, "queue not found")];
      const body = r.body as { script_name?: string };
      const consumer = { ...body, script: body.script_name, consumer_id: `consumer-${r.seq}`, type: "worker" };
      q.consumers.push(consumer);
      return [200, ok(consumer)];
    }
    x = r.method === "PUT" || r.method === "DELETE" ? m(/^\/queues\/([^/]+)\/consumers\/([^/]+)$/) : null;
    if (x) {
      const q = api.queues.get(x[1]!);
      if (!q) return [404, fail(11000, "queue not found")];
      const id = x[2];
      const previous = q.consumers.find((c) => c.script === id || c.consumer_id === id);
      q.consumers = q.consumers.filter((c) => c !== previous);
      if (r.method === "PUT") q.consumers.push({ ...previous, ...(r.body as object) });
      return [200, ok(r.body ?? null)];
    }

    // Workers
    if (p === "/workers/subdomain" && r.method === "GET") return [200, ok({ subdomain: "standin" })];
    x = r.method === "GET" ? m(/^\/workers\/services\/([^/]+)$/) : null;
    if (x) {
      const state = api.scripts.get(x[1]!);
      if (!state || state.uploads.length === 0) return [404, fail(10090, "This Worker does not exist on your account.")];
      return [
        200,
        ok({
          id: x[1],
          default_environment: { environment: "production", script: { tag: x[1], last_deployed_from: "wrangler", migration_tag: state.migrationTag } },
        }),
      ];
    }
    x = m(/^\/workers\/scripts\/([^/]+)\/secrets$/);
    if (x) {
      const state = api.scripts.get(x[1]!);
      if (!state || state.uploads.length === 0) return [404, fail(10007, "This Worker does not exist on your account.")];
      if (r.method === "GET") return [200, ok([...state.secrets.keys()].map((name) => ({ name, type: "secret_text" })))];
      if (r.method === "PUT") {
        state.secrets.set((r.body as { name: string }).name, r.seq);
        return [200, ok({ name: (r.body as { name: string }).name, type: "secret_text" })];
      }
    }
    x = r.method === "GET" ? m(/^\/workers\/scripts\/([^/]+)\/settings$/) : null;
    if (x) {
      const state = api.scripts.get(x[1]!);
      if (!state || state.uploads.length === 0) return [404, fail(10007, "This Worker does not exist on your account.")];
      return [200, ok({ bindings: state.uploads.at(-1)!.metadata.bindings ?? [], compatibility_date: "2026-10-01" })];
    }
    x = m(/^\/workers\/scripts\/([^/]+)\/deployments$/);
    if (x) {
      if (r.method === "POST") return [200, ok({ id: randomUUID(), ...(r.body as object) })];
      const state = api.scripts.get(x[1]!);
      const last = state?.uploads.at(-1);
      const deployments = last
        ? [{ id: `deployment-${last.seq}`, source: "wrangler", strategy: "percentage", versions: [{ version_id: `version-${last.seq}`, percentage: 100 }] }]
        : [];
      return [200, ok({ deployments })];
    }
    if (m(/^\/workers\/scripts\/([^/]+)\/script-settings$/)) return [200, ok(r.body ?? {})];
    // A whole-script upload (PUT) or a new version (POST …/versions).
    x = m(/^\/workers\/scripts\/([^/]+)(\/versions)?$/);
    if (x && (x[2] ? r.method !== "POST" : r.method !== "PUT")) x = null;
    if (x) {
      const state = script(x[1]!);
      const parts = r.body as Record<string, string>;
      const metadata = JSON.parse(parts.metadata ?? "{}") as UploadedScript["metadata"];
      const modules = Object.fromEntries(Object.entries(parts).filter(([k]) => k !== "metadata"));
      state.uploads.push({ seq: r.seq, metadata, modules });
      for (const b of metadata.bindings ?? []) if (b.type === "secret_text") state.secrets.set(b.name, r.seq);
      const migrations = metadata.migrations as { new_tag?: string } | undefined;
      if (migrations?.new_tag) state.migrationTag = migrations.new_tag;
      if (x[2]) return [200, ok({ id: `version-${r.seq}`, resources: { script: { etag: randomUUID() } }, startup_time_ms: 1 })];
      return [200, ok({ id: x[1], etag: randomUUID(), deployment_id: randomUUID(), startup_time_ms: 1, has_assets: !!metadata.assets })];
    }
    x = r.method === "PUT" ? m(/^\/workers\/scripts\/([^/]+)\/schedules$/) : null;
    if (x) {
      script(x[1]!).schedules = r.body;
      return [200, ok({ schedules: r.body })];
    }
    x = m(/^\/workers\/scripts\/([^/]+)\/subdomain$/);
    if (x) {
      const state = script(x[1]!);
      if (r.method === "POST") state.subdomainEnabled = (r.body as { enabled: boolean }).enabled;
      return [200, ok({ enabled: state.subdomainEnabled ?? false, previews_enabled: false })];
    }
    x = m(/^\/workers\/workers\/([^/]+)$/);
    if (x) {
      const state = api.scripts.get(x[1]!);
      if (!state) return [404, fail(10007, "This Worker does not exist on your account.")];
      const body = r.body as { subdomain?: { enabled?: boolean } } | undefined;
      if (r.method !== "GET" && body?.subdomain?.enabled !== undefined) state.subdomainEnabled = body.subdomain.enabled;
      return [200, ok({ id: x[1], name: x[1], subdomain: { enabled: state.subdomainEnabled ?? false, previews_enabled: false } })];
    }
    x = r.method === "POST" ? m(/^\/workers\/scripts\/([^/]+)\/assets-upload-session$/) : null;
    if (x) {
      return [200, ok({ jwt: "assets-completion-token", buckets: [] })];
    }
    return [404, fail(7003, `no route for ${r.method} ${r.path}`)];
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const recorded: RecordedRequest = {
      seq: api.requests.length + 1,
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      body: undefined,
    };
    api.requests.push(recorded);
    try {
      recorded.body = await readBody(req, url);
      const [status, payload] = route(recorded);
      if (status === 404 && JSON.stringify(payload).includes("no route for")) api.unhandled.push(recorded);
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(payload));
    } catch (error) {
      api.unhandled.push(recorded);
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify(fail(10000, String(error))));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...api,
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function queueView(q: { queue_id: string; queue_name: string; consumers: Record<string, unknown>[] }) {
  return {
    queue_id: q.queue_id,
    queue_name: q.queue_name,
    created_on: "2026-01-01T00:00:00Z",
    modified_on: "2026-01-01T00:00:00Z",
    producers_total_count: 0,
    producers: [],
    consumers_total_count: q.consumers.length,
    consumers: q.consumers,
  };
}
