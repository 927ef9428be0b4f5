// Webhook steps: a request through the gateway's egress endpoint, sent while
// the run keeps serving other requests, and sent again after an eviction.

import type { CompiledWebhookStep } from "../../../../../shared/bundle.ts";
import { stringForm, type JsonValue } from "../../../../../shared/expr/index.ts";
import { EGRESS_ERROR_HEADER } from "../../../../../shared/contracts/egress.ts";
import { errorMessage } from "../../../../../shared/util/errors.ts";
import { stepSpanId, traceparentOf } from "../../../../../shared/otel/trace-context.ts";
import { resolveValue, VALUE_FIELDS, type ValueScope } from "../../../../../shared/values/index.ts";
import { sendThroughEgress } from "./egress.ts";
import type { RunContext } from "../context.ts";
import type { StepState } from "../model.ts";
import type { StepOutcome } from "../outcome.ts";

export interface WebhookContext {
  /** The gateway binding: its `/egress` endpoint is the only way out. */
  gateway: Fetcher;
  /** What the URL and body values read. */
  scope: ValueScope;
  runId: string;
  /** The step's deadline (model_policy.timeout_s), which also bounds the request. */
  deadlineAt?: number;
  /** The step span's W3C trace context, sent to the receiver. */
  traceparent?: string;
}

class WebhookError extends Error {}

/** The URL: a value source whose templates are interpolated; an unset env var or an empty URL fails the step. */
function resolveUrl(step: CompiledWebhookStep, scope: ValueScope): string {
  const outcome = resolveValue(step.webhook.url, scope, VALUE_FIELDS.webhookUrl);
  if (!outcome.ok) throw new WebhookError(`webhook url: ${outcome.error.message}`, { cause: outcome.error });
  const url = outcome.value === null ? "" : stringForm(outcome.value);
  if (url.trim() === "") throw new WebhookError(`webhook url: "${step.webhook.url}" resolved to an empty URL`);
  return url;
}

/**
 * The JSON body: each string value is a value source (a plain string is bare
 * JMESPath); a null result omits the key, and so does an empty legacy `env:NAME`.
 */
function buildBody(step: CompiledWebhookStep, scope: ValueScope): Record<string, JsonValue> {
  const body: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(step.webhook.body)) {
    if (typeof value !== "string") continue;
    const outcome = resolveValue(value, scope, VALUE_FIELDS.webhookBody);
    if (!outcome.ok) throw new WebhookError(`webhook body "${key}": ${outcome.error.message}`, { cause: outcome.error });
    if (outcome.value === null || (outcome.source.kind === "legacy-env" && outcome.value === "")) continue;
    body[key] = outcome.value;
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
    url = resolveUrl(step, ctx.scope);
    body = buildBody(step, ctx.scope);
  } catch (err) {
    return { kind: "failed", error: errorMessage(err) };
  }

  // The gateway enforces the timeout (and answers 504); no timer is left pending here.
  let timeoutMs = (step.webhook.timeout_s > 0 ? step.webhook.timeout_s : 30) * 1000;
  if (ctx.deadlineAt) timeoutMs = Math.max(1, Math.min(timeoutMs, ctx.deadlineAt - Date.now()));
  try {
    const res = await sendThroughEgress(ctx.gateway, {
      method,
      url,
      timeoutMs,
      idempotencyKey: `${ctx.runId}/${step.id}`,
      body,
      ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
    });
    if (res.headers.get(EGRESS_ERROR_HEADER)) {
      const detail = (await res.json().catch(() => ({}))) as { message?: string };
      return { kind: "failed", error: `webhook ${method} ${url}: ${detail.message ?? `gateway egress returned ${res.status}`}` };
    }
    await res.body?.cancel();
    if (res.status < 200 || res.status >= 300) return { kind: "failed", error: `webhook ${method} ${url} returned status ${res.status}` };
    return { kind: "output", output: { sent: true, status_code: res.status } };
  } catch (err) {
    return { kind: "failed", error: `webhook ${method} ${url}: ${errorMessage(err)}` };
  }
}

function inFlightKey(step: CompiledWebhookStep): string {
  return `webhook:${step.id}`;
}

/** Sends the webhook; its reply settles the step later, while the object keeps serving other requests. */
export function startWebhook(ctx: RunContext, step: CompiledWebhookStep, state: StepState): void {
  const key = inFlightKey(step);
  ctx.markInFlight(key);
  const run = ctx.state.run;
  const send = sendWebhook(step, {
    gateway: ctx.gateway,
    scope: ctx.scope.valueScope(),
    runId: run.run_id,
    deadlineAt: state.deadline_at,
    ...(run.trace ? { traceparent: traceparentOf(run.trace, stepSpanId(run.run_id, step.id)) } : {}),
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
