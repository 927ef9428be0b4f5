// Webhook steps: a request through the gateway's egress endpoint, sent while
// the run keeps serving other requests, and sent again after an eviction.

import type { CompiledWebhookStep } from "../../../../../shared/bundle.ts";
import { evaluate, interpolate, wholeTemplateExpression, type JsonValue } from "../../../../../shared/expr/index.ts";
import type { EnvLookup } from "../../engine/agent-request.ts";
import type { RunContext } from "../context.ts";
import type { StepState } from "../model.ts";
import type { StepOutcome } from "../outcome.ts";

export interface WebhookContext {
  /** The gateway binding: its `/egress` endpoint is the only way out. */
  gateway: Fetcher;
  context: Record<string, unknown>;
  runId: string;
  root: boolean;
  envLookup: EnvLookup;
  /** Body values written `env:NAME` read the Worker's env in root and sub-workflows alike. */
  rawEnv: (name: string) => string | undefined;
  paramStrings?: Record<string, string>;
  /** The step's deadline (model_policy.timeout_s), which also bounds the request. */
  deadlineAt?: number;
}

class WebhookError extends Error {}

/** The URL's value source: `env:` (root runs only), `param:`, a backtick-quoted literal, or the text itself. */
function resolveUrlSource(url: string, ctx: WebhookContext): string {
  if (url.startsWith("env:")) {
    const name = url.slice(4);
    if (!ctx.envLookup) throw new WebhookError(`webhook url: env: reference "${url}" not permitted outside root workflow context`);
    const value = ctx.envLookup(name);
    if (value === undefined) throw new WebhookError(`webhook url: env var "${name}" is not set`);
    return value;
  }
  if (url.startsWith("param:")) {
    const name = url.slice(6);
    if (!ctx.paramStrings) throw new WebhookError(`webhook url: param "${name}" referenced but no params context is available`);
    const value = ctx.paramStrings[name];
    if (value === undefined) throw new WebhookError(`webhook url: param "${name}" is not available in this invocation`);
    return value;
  }
  if (url.length >= 2 && url.startsWith("`") && url.endsWith("`")) return url.slice(1, -1);
  return url;
}

/** The JSON body: string values only; `env:` reads the env; otherwise JMESPath or a whole `{{ }}`; null omits the key. */
function buildBody(step: CompiledWebhookStep, ctx: WebhookContext): Record<string, JsonValue> {
  const body: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(step.webhook.body)) {
    if (typeof value !== "string") continue;
    if (value.startsWith("env:")) {
      const found = ctx.rawEnv(value.slice(4));
      if (found) body[key] = found;
      continue;
    }
    const expr = wholeTemplateExpression(value) ?? value;
    let result: JsonValue;
    try {
      result = evaluate(expr, ctx.context);
    } catch (err) {
      throw new WebhookError(`jmespath webhook body "${expr}": ${(err as Error).message}`);
    }
    if (result !== null) body[key] = result;
  }
  return body;
}

/**
 * Sends a webhook step through the gateway's egress endpoint.
 * The idempotency key is stable per run and step, so a request re-sent after
 * an eviction can be recognised by the receiver.
 */
export async function sendWebhook(step: CompiledWebhookStep, ctx: WebhookContext): Promise<StepOutcome> {
  const method = step.webhook.method.toUpperCase();
  let url: string;
  let body: Record<string, JsonValue>;
  try {
    const source = resolveUrlSource(step.webhook.url, ctx);
    try {
      url = interpolate(source, ctx.context);
    } catch (err) {
      throw new WebhookError(`webhook url template: ${(err as Error).message}`);
    }
    body = buildBody(step, ctx);
  } catch (err) {
    return { kind: "failed", error: (err as Error).message };
  }

  // The gateway enforces the timeout (and answers 504); no timer is left pending here.
  let timeoutMs = (step.webhook.timeout_s > 0 ? step.webhook.timeout_s : 30) * 1000;
  if (ctx.deadlineAt) timeoutMs = Math.max(1, Math.min(timeoutMs, ctx.deadlineAt - Date.now()));
  try {
    const res = await ctx.gateway.fetch("https://gateway/egress", {
      method,
      headers: {
        "content-type": "application/json",
        "idempotency-key": `${ctx.runId}/${step.id}`,
        "x-ktsu-egress-url": url,
        "x-ktsu-egress-timeout-ms": String(timeoutMs),
      },
      // Workers cannot send a body with GET/HEAD (the original did); those go without one.
      ...(method === "GET" || method === "HEAD" ? {} : { body: JSON.stringify(body) }),
    });
    if (res.headers.get("x-ktsu-egress-error")) {
      const detail = (await res.json().catch(() => ({}))) as { message?: string };
      return { kind: "failed", error: `webhook ${method} ${url}: ${detail.message ?? `gateway egress returned ${res.status}`}` };
    }
    await res.body?.cancel();
    if (res.status < 200 || res.status >= 300) return { kind: "failed", error: `webhook ${method} ${url} returned status ${res.status}` };
    return { kind: "output", output: { sent: true, status_code: res.status } };
  } catch (err) {
    return { kind: "failed", error: `webhook ${method} ${url}: ${(err as Error).message}` };
  }
}

function inFlightKey(step: CompiledWebhookStep): string {
  return `webhook:${step.id}`;
}

/** Sends the webhook; its reply settles the step later, while the object keeps serving other requests. */
export function startWebhook(ctx: RunContext, step: CompiledWebhookStep, state: StepState): void {
  const key = inFlightKey(step);
  ctx.markInFlight(key);
  const send = sendWebhook(step, {
    gateway: ctx.gateway,
    context: ctx.scope.context(),
    runId: ctx.state.run.run_id,
    root: ctx.state.run.env_enabled,
    envLookup: ctx.scope.envLookup(),
    rawEnv: (name) => ctx.scope.rawEnv(name),
    paramStrings: ctx.state.run.param_strings,
    deadlineAt: state.deadline_at,
  });
  ctx.keepAlive(
    send.then(async (outcome) => {
      ctx.clearInFlight(key);
      ctx.settle(step, outcome);
      await ctx.advance();
    }),
  );
}

/** After an eviction the reply's promise is gone: the webhook is re-sent with the same idempotency key, so the receiver can drop a duplicate. */
export function resumeWebhook(ctx: RunContext, step: CompiledWebhookStep, state: StepState): void {
  if (!ctx.isInFlight(inFlightKey(step))) startWebhook(ctx, step, state);
}
