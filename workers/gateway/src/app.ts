import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { CompiledGateway } from "../../../shared/config/types.ts";
import type { GatewayErrorBody } from "../../../shared/contracts/gateway.ts";
import { createServiceApp } from "../../../shared/http/service-app.ts";
import { createScrubber, type Scrubber } from "../../../shared/secrets/scrub.ts";
import { BudgetLedger, budgetReport } from "./budget.ts";
import { resolveGatewayConfig, type ConfigResult } from "./config.ts";
import { EGRESS_PATH } from "../../../shared/contracts/egress.ts";
import { DEFAULT_EGRESS_POLICY, handleEgress, parseAllowHosts } from "./egress.ts";
import type { GatewayEnv } from "./env.ts";
import { asGatewayError, GatewayError } from "./errors.ts";
import { invoke } from "./invoke.ts";
import { OTLP_TRACES_PATH } from "../../../shared/otel/exporter.ts";
import { forwardOtlp } from "./otlp.ts";
import { providerClient, workersAiBinding } from "./providers/index.ts";
import { parseInvokeRequest } from "./request.ts";
import { readSettings } from "./settings.ts";

interface Prepared {
  result: ConfigResult;
  /** Masks the api keys and secret env values in everything the gateway answers or logs. */
  scrub: Scrubber;
}

export interface GatewayAppOptions {
  /** The gateway config; the Worker passes the project bundle's. */
  gateway: CompiledGateway | null;
}

/** The gateway's HTTP surface: `/invoke`, `/budget/:run_id`, `/config/check`, `/egress`, `/otlp/v1/traces`, `/health`. */
export function createGatewayApp(options: GatewayAppOptions) {
  const app = createServiceApp<{ Bindings: GatewayEnv }>("gateway");

  // Resolved once per env object (the Worker's "boot"), not per request.
  const prepared = new WeakMap<object, Prepared>();
  const prepare = (env: GatewayEnv): Prepared => {
    let entry = prepared.get(env);
    if (!entry) {
      const result = resolveGatewayConfig(options.gateway, env);
      entry = { result, scrub: createScrubber(result.ok ? result.config.secrets : []) };
      prepared.set(env, entry);
    }
    return entry;
  };

  app.get("/config/check", (c) => {
    const { result } = prepare(c.env);
    if (!result.ok) return c.json({ status: "error", errors: result.errors }, 500);
    const { providers, groups } = result.config;
    return c.json({
      status: "ok",
      providers: [...providers.values()].map((p) => ({ name: p.name, type: p.type })),
      model_groups: [...groups.values()].map((g) => ({ name: g.name, strategy: g.strategy, models: g.models })),
    });
  });

  app.post("/invoke", async (c) => {
    const { result, scrub } = prepare(c.env);
    const fail = (err: unknown) => {
      const error = asGatewayError(err);
      const body: GatewayErrorBody = error.toBody(scrub);
      if (error.type === "internal_error") console.error(`gateway: /invoke failed: ${body.message}`);
      return c.json(body, error.status as ContentfulStatusCode);
    };
    try {
      if (!result.ok) throw new GatewayError("internal_error", result.errors[0] ?? "gateway config is invalid");
      const settings = readSettings(c.env);
      const req = parseInvokeRequest(await readBody(c.req.raw, settings.maxBodyBytes));
      const budgetUsd = req.cost_budget_usd ?? 0;
      const budgetRunId = req.budget_run_id || req.run_id;
      const ledger = openLedger(c.env, budgetRunId, budgetUsd);
      const response = await invoke(req, {
        config: result.config,
        settings,
        ledger,
        client: (provider) => providerClient(provider, settings.providerTimeoutMs, workersAiBinding(c.env)),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        defer: (work) => c.executionCtx.waitUntil(work),
        warn: (message) => console.warn(scrub(message)),
        // Aborted when the runtime's call ends early (a cancelled step): needs the `enable_request_signal` flag.
        signal: c.req.raw.signal,
      });
      // A provider could echo a credential in its reply too; the rest of the response is the gateway's own.
      return c.json({ ...response, content: scrub.text(response.content), ...(response.tool_calls ? { tool_calls: scrub.value(response.tool_calls) } : {}) });
    } catch (err) {
      return fail(err);
    }
  });

  app.get("/budget/:run_id", async (c) => {
    if (!c.env.BUDGET) return c.json({ error: "internal_error", message: "the BUDGET Durable Object binding is missing" }, 500);
    const runId = c.req.param("run_id");
    return c.json(await budgetReport(c.env.BUDGET, runId));
  });

  app.all(EGRESS_PATH, (c) =>
    handleEgress(c, {
      ...DEFAULT_EGRESS_POLICY,
      allowHosts: parseAllowHosts(c.env.KTSU_EGRESS_ALLOW),
      maxResponseBytes: Number(c.env.KTSU_EGRESS_MAX_RESPONSE_BYTES) || DEFAULT_EGRESS_POLICY.maxResponseBytes,
      maxStreamMs: Number(c.env.KTSU_EGRESS_MAX_STREAM_MS) || DEFAULT_EGRESS_POLICY.maxStreamMs,
    }),
  );

  // Trace exports from the other Workers, forwarded to the configured OTLP endpoint.
  app.post(OTLP_TRACES_PATH, (c) => forwardOtlp(c));

  return app;
}

function openLedger(env: GatewayEnv, runId: string, budgetUsd: number): BudgetLedger | null {
  if (!env.BUDGET) {
    if (budgetUsd > 0) throw new GatewayError("internal_error", "cannot enforce cost_budget_usd: the BUDGET Durable Object binding is missing");
    return null;
  }
  // Only budgeted runs are metered here: a run without a budget has nothing to enforce, and its
  // cost is already in its step metrics. Skipping the ledger keeps its calls off the Durable
  // Object entirely (measured: ~2 ms per call locally; bench/gateway.ts).
  return runId && budgetUsd > 0 ? new BudgetLedger(env.BUDGET, runId, budgetUsd) : null;
}

/** The body as text, refusing more than `maxBytes` before and after reading it. */
async function readBody(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => new GatewayError("payload_too_large", `request body exceeds ${maxBytes} bytes`);
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const buffer = await request.arrayBuffer();
  if (buffer.byteLength > maxBytes) throw tooLarge();
  return new TextDecoder().decode(buffer);
}
