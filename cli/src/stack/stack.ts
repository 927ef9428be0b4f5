import { mkdir } from "node:fs/promises";
import { errorMessage } from "../../../shared/util/errors.ts";
import path from "node:path";
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions, type LegacyWorkerOptions, type V4ServiceDesignator } from "miniflare";
import { unstable_getMiniflareWorkerOptions as getMiniflareWorkerOptions } from "wrangler";
import { buildWorkers } from "./build-workers.ts";
import { applyMigrations } from "./migrations.ts";
import { applyPostgresMigrations } from "./postgres-migrations.ts";
import { describeStoreUrl, StoreUrlError } from "./store-url.ts";
import { WORKERS, wranglerConfigPath, type WorkerName } from "./paths.ts";

export interface StackOptions {
  /** The project bundle module written by `ktsu build`. */
  projectBundle: string;
  /** Where D1, Durable Objects and queues persist, and where Worker bundles are written. */
  stateDir: string;
  host?: string;
  /**
   * Behave as deployed (`ktsu start --secure`): the admin routes refuse every request unless
   * KTSU_ADMIN_TOKEN is set. Without it the local stack leaves them open when no token is set.
   */
  secure?: boolean;
  /** Apply the D1 migrations before returning (default true; tests of the window before them say false). */
  migrate?: boolean;
  /** Public port of the orchestrator; 0 picks a free one. */
  port?: number;
  /** Plain-text vars per Worker: env values for the orchestrator, credentials for the gateway. */
  vars?: Partial<Record<WorkerName, Record<string, string>>>;
  /** Hosts the gateway's egress endpoint may reach. */
  egressAllow?: string[];
  logLevel?: LogLevel;
  /** More Workers in the same workerd (benchmarks put a comparison Worker beside the stack). */
  extraWorkers?: LegacyWorkerOptions[];
  /**
   * Keep the Store in this Postgres database (`postgres://…`) instead of D1: the orchestrator gets a
   * Hyperdrive binding (HYPERDRIVE) whose local connection string is this, and its migrations are applied.
   */
  storeUrl?: string;
  /**
   * A local Worker bound as the gateway's `AI` (tests: one implementing the binding's `run()`).
   * Without it the gateway has no `AI` binding: Workers AI has no local simulation.
   */
  aiStandIn?: { name: string; entrypoint?: string };
  /** Receives each line the Workers log (console.*) instead of Miniflare printing it (`ktsu start` tees it to a file). */
  onLog?: (log: WorkerLog) => void;
}

/** One line a Worker logged, as workerd reports it. */
export interface WorkerLog {
  timestamp: number;
  level: string;
  message: string;
}

export interface LocalStack {
  /** The orchestrator's public URL. */
  url: URL;
  miniflare: Miniflare;
  /** A bound Worker, for checks that go past the public API (tests, health). */
  worker(name: WorkerName): ReturnType<Miniflare["getWorker"]>;
  /**
   * Rebuilds the Workers on another project bundle (and vars) and swaps them in place: persisted
   * state stays, the URL stays, Durable Objects restart and reload from their storage.
   */
  reload(options: Pick<StackOptions, "projectBundle" | "vars" | "egressAllow">): Promise<void>;
  dispose(): Promise<void>;
}

export const WORKER_SERVICE_NAME: Record<WorkerName, string> = {
  orchestrator: "ktsu-orchestrator",
  runtime: "ktsu-runtime",
  gateway: "ktsu-gateway",
  tools: "ktsu-tools",
};

/**
 * Outbound handler for every Worker except the gateway: egress is refused, so
 * a stray `fetch()` fails loudly here exactly as the design forbids it in production.
 */
export function blockEgress(worker: WorkerName) {
  return (request: Request): Response => {
    const host = new URL(request.url).host;
    console.error(`[ktsu] blocked egress from the ${worker} Worker to ${host}: only the gateway may fetch out`);
    return new Response(`egress blocked: the ${worker} Worker may not fetch ${host}; only the gateway has egress`, { status: 403 });
  };
}

/**
 * Miniflare options for one Worker: its wrangler config's bindings, the bundled
 * entry module, extra vars, and egress blocked unless it is the gateway.
 * Shared by the local stack and the workerd test projects.
 */
export function localWorkerOptions(
  worker: WorkerName,
  entry: string,
  options: Pick<StackOptions, "vars" | "egressAllow" | "aiStandIn"> = {},
): LegacyWorkerOptions {
  // The bundle is already a single module, so wrangler's module rules do not apply. The AI
  // binding is Cloudflare's alone (a local one would call Cloudflare): left out, or a stand-in.
  const { modulesRules: _rules, ai: _ai, ...fromConfig } = getMiniflareWorkerOptions(wranglerConfigPath(worker)).workerOptions;
  const aiStandIn: Record<string, V4ServiceDesignator> = worker === "gateway" && options.aiStandIn ? { AI: options.aiStandIn } : {};
  const vars: Record<string, string> = { ...(options.vars?.[worker] ?? {}) };
  if (worker === "gateway" && options.egressAllow) vars.KTSU_EGRESS_ALLOW = JSON.stringify(options.egressAllow);
  return {
    ...(fromConfig as Omit<LegacyWorkerOptions, "scriptPath">),
    name: WORKER_SERVICE_NAME[worker],
    modules: true,
    scriptPath: entry,
    // Module names must not climb out of the root ("../"), or workerd refuses the script.
    modulesRoot: path.dirname(entry),
    bindings: { ...(fromConfig.bindings ?? {}), ...vars },
    serviceBindings: { ...(fromConfig.serviceBindings ?? {}), ...aiStandIn },
    ...(worker === "gateway" ? {} : { outboundService: blockEgress(worker) }),
  };
}

/**
 * The orchestrator's Hyperdrive binding when the Store is in Postgres: Miniflare connects it
 * to the database directly (locally there is no pool in between), as `wrangler dev` does with a
 * local connection string.
 */
function withStoreUrl(worker: WorkerName, options: LegacyWorkerOptions, storeUrl: string | undefined): LegacyWorkerOptions {
  return worker === "orchestrator" && storeUrl ? { ...options, hyperdrives: { HYPERDRIVE: storeUrl } } : options;
}

/** The Postgres migrations, failing with a message that names the database (never its password). */
async function migratePostgresStore(storeUrl: string): Promise<void> {
  try {
    await applyPostgresMigrations(storeUrl);
  } catch (err) {
    throw new StoreUrlError(`the Store's Postgres at ${describeStoreUrl(storeUrl)} could not be migrated: ${errorMessage(err)}`, { cause: err });
  }
}

/** The names a browser on this machine reaches the local stack by. */
const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/**
 * The orchestrator's access settings on the local stack: the host names it answers to (loopback
 * and `host`, so a DNS-rebinding page cannot reach it) and, unless `secure`, admin routes open
 * while no admin token is set. A deployed orchestrator has neither: any host, closed by default.
 */
export function localAccessVars(options: Pick<StackOptions, "host" | "secure" | "vars">): Record<string, string> {
  const hosts = new Set(LOOPBACK_HOSTS);
  const host = options.host?.toLowerCase();
  // A wildcard address is not a name anyone sends; KTSU_ALLOWED_HOSTS (below) adds the machine's names.
  if (host && host !== "0.0.0.0" && host !== "::") hosts.add(host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);
  // KTSU_ALLOWED_HOSTS given to the orchestrator adds names (say, the machine's, with --host 0.0.0.0).
  for (const extra of (options.vars?.orchestrator?.KTSU_ALLOWED_HOSTS ?? "").split(",")) if (extra.trim()) hosts.add(extra.trim().toLowerCase());
  return { KTSU_ALLOWED_HOSTS: [...hosts].join(","), ...(options.secure ? {} : { KTSU_ADMIN_OPEN: "true" }) };
}

/**
 * Runs the four Workers in one local workerd process (Miniflare), with the
 * bindings their wrangler configs declare, persistent state under `stateDir`,
 * and D1 migrations applied. This is what `ktsu start --all` and the tests use.
 */
export async function startStack(options: StackOptions): Promise<LocalStack> {
  const buildDir = path.join(options.stateDir, "build");
  const persistDir = path.join(options.stateDir, "state");
  await mkdir(persistDir, { recursive: true });
  const miniflareOptions = async (current: StackOptions) => {
    const { entry } = await buildWorkers(buildDir, current.projectBundle);
    const vars = { ...current.vars, orchestrator: { ...current.vars?.orchestrator, ...localAccessVars(current) } };
    return convertV4MiniflareOptions({
      host: current.host ?? "127.0.0.1",
      cf: false, // no request.cf download: the stack runs offline
      port: current.port ?? 0,
      resourcePersistencePath: persistDir,
      log: new Log(current.logLevel ?? LogLevel.WARN),
      ...(current.onLog ? { handleStructuredLogs: current.onLog } : {}),
      ...(process.env.KTSU_INSPECTOR_PORT ? { inspectorPort: Number(process.env.KTSU_INSPECTOR_PORT) } : {}),
      workers: [
        ...WORKERS.map((w) => withStoreUrl(w, localWorkerOptions(w, entry[w], { ...current, vars }), current.storeUrl)),
        ...(current.extraWorkers ?? []),
      ],
    } as Parameters<typeof convertV4MiniflareOptions>[0]);
  };

  const miniflare = new Miniflare(await miniflareOptions(options));
  try {
    const url = await miniflare.ready;
    if (options.migrate !== false) {
      await applyMigrations(await miniflare.getD1Database("DB", WORKER_SERVICE_NAME.orchestrator));
      if (options.storeUrl) await migratePostgresStore(options.storeUrl);
    }
    let current = options;
    return {
      url,
      miniflare,
      worker: (name) => miniflare.getWorker(WORKER_SERVICE_NAME[name]),
      reload: async (next) => {
        // Keep the port the stack got (port 0 picked one): clients keep their URL across reloads.
        current = { ...current, ...next, port: Number(url.port) };
        await miniflare.setOptions(await miniflareOptions(current));
      },
      dispose: () => miniflare.dispose(),
    };
  } catch (err) {
    await miniflare.dispose();
    throw err;
  }
}
