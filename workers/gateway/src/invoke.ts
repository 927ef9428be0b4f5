// One `/invoke`: pick the group's models, call them with fallback and retries,
// and keep the run's budget exact around every provider call.

import type { CompiledModelGroup } from "../../../shared/config/types.ts";
import type { GatewayInvokeRequest, GatewayInvokeResponse } from "../../../shared/contracts/gateway.ts";
import { estimateInputTokens, type BudgetLedger } from "./budget.ts";
import type { ResolvedGateway, ResolvedProvider } from "./config.ts";
import { asGatewayError, callerGone, GatewayError } from "./errors.ts";
import { costOf, lookupPrice, maxCostOf } from "./pricing.ts";
import type { CompletionResult, ProviderClient } from "./providers/index.ts";
import { candidateOrder, findGroup, resolveTarget, type ModelTarget } from "./routing.ts";
import type { GatewaySettings } from "./settings.ts";
import { errorMessage } from "../../../shared/util/errors.ts";

export interface InvokeDeps {
  config: ResolvedGateway;
  settings: GatewaySettings;
  /** The run's ledger; null when the request names no run (nothing to count against). */
  ledger: BudgetLedger | null;
  client(provider: ResolvedProvider): ProviderClient;
  sleep(ms: number): Promise<void>;
  /** Keeps work going after the response (the ledger write of a finished call). */
  defer(work: Promise<unknown>): void;
  /** Receives already-scrubbed text. */
  warn(message: string): void;
  /** The caller's request: once it is aborted (its step was cancelled) no provider call starts and the one in flight is aborted. */
  signal?: AbortSignal;
}

export async function invoke(req: GatewayInvokeRequest, deps: InvokeDeps): Promise<GatewayInvokeResponse> {
  const group = findGroup(deps.config, req.group);
  const candidates = candidateOrder(group);
  const { maxAttempts } = deps.settings;

  // Every model gets one try first (fallback, no waiting: it is another
  // model); only when all have failed does the gateway go round again,
  // backing off before each round.
  let last: GatewayError | undefined;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (deps.signal?.aborted) throw callerGone();
    const round = Math.floor(attempt / candidates.length);
    if (round > 0 && attempt % candidates.length === 0) {
      const wait = last ? retryWait(round, last, deps.settings) : 0;
      if (wait === null) break;
      await deps.sleep(wait);
      if (deps.signal?.aborted) throw callerGone();
    }
    const target = resolveTarget(deps.config, candidates[attempt % candidates.length] as string);
    try {
      return await callOnce(req, group, target, deps);
    } catch (err) {
      const error = asGatewayError(err);
      if (!error.retryable) throw error;
      last = error;
      deps.warn(`gateway: attempt ${attempt + 1} of ${maxAttempts} failed: ${error.message}`);
    }
  }
  throw last ?? new GatewayError("internal_error", "no provider call was made");
}

/**
 * The wait before retry round `round` (1, 2, ...): the provider's
 * retry-after when it sent one, else exponential backoff with jitter.
 * null = the provider asked for a longer wait than the gateway allows.
 */
export function retryWait(round: number, last: GatewayError, settings: GatewaySettings): number | null {
  if (last.retryAfterMs !== undefined) return last.retryAfterMs > settings.retryMaxWaitMs ? null : last.retryAfterMs;
  const backoff = Math.min(settings.retryBaseMs * 2 ** (round - 1), settings.retryMaxWaitMs);
  return Math.round(backoff * (0.75 + Math.random() * 0.25));
}

async function callOnce(req: GatewayInvokeRequest, group: CompiledModelGroup, target: ModelTarget, deps: InvokeDeps): Promise<GatewayInvokeResponse> {
  const client = deps.client(target.provider);
  const price = lookupPrice(group.pricing, target.model);
  const ledger = deps.ledger;

  let reservation: string | undefined;
  if (ledger?.limited) {
    const ceiling = maxCostOf(price, estimateInputTokens(req), req.max_tokens, client.type);
    reservation = await ledgerCall(() => ledger.reserve(req.step_id, ceiling));
  }

  let result: CompletionResult;
  try {
    result = await client.complete({
      model: target.model,
      messages: req.messages,
      maxTokens: req.max_tokens,
      temperature: req.temperature ?? group.default_temperature,
      ...(req.tools ? { tools: req.tools } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(req.run_id ? { tags: { runId: req.run_id, stepId: req.step_id } } : {}),
    });
  } catch (err) {
    if (reservation && ledger)
      await ledger.release(reservation).catch((e: unknown) => deps.warn(`gateway: releasing a budget reservation failed: ${String(e)}`));
    const error = asGatewayError(err);
    throw error.type === "provider_error" || error.type === "budget_exceeded"
      ? new GatewayError(error.type, `${target.entry}: ${error.message}`, { retryable: error.retryable, retryAfterMs: error.retryAfterMs })
      : error;
  }

  if (!price) deps.warn(`gateway: no pricing configured for model ${target.model}; cost is 0`);
  const cost = costOf(price, result.usage, client.type);
  if (ledger) {
    // The call succeeded: a ledger hiccup must not turn it into a failure. An
    // unsettled reservation is charged in full later (BudgetDO), so the budget still holds.
    // The write is sent now (so the ledger sees it before any later request of the run) but
    // not waited for: until it lands, the reservation holds the call's maximum cost.
    const write = reservation ? ledger.settle(reservation, cost) : ledger.record(req.step_id, cost);
    deps.defer(write.catch((e: unknown) => deps.warn(`gateway: recording the cost of run "${ledger.runId}" failed: ${String(e)}`)));
  }

  const { usage } = result;
  const response: GatewayInvokeResponse = {
    content: result.content,
    model_resolved: target.entry,
    tokens_in: usage.input + usage.cacheRead + usage.cacheWrite,
    tokens_out: usage.output,
    cost_usd: cost,
  };
  if (result.toolCalls.length > 0) response.tool_calls = result.toolCalls;
  if (usage.cacheRead > 0) response.cache_read_tokens = usage.cacheRead;
  if (usage.cacheWrite > 0) response.cache_write_tokens = usage.cacheWrite;
  return response;
}

/** Budget checks fail closed: without the ledger no budgeted call goes out. */
async function ledgerCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError("internal_error", `budget ledger unavailable: ${errorMessage(err)}`, { retryable: true, cause: err });
  }
}
