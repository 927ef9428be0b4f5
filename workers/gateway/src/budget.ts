// The gateway's side of the per-run budget: sizing a call's reservation and
// talking to the run's BudgetDO.

import type { BudgetReport, GatewayInvokeRequest } from "../../../shared/contracts/gateway.ts";
import { retryDurableObjectCall } from "../../../shared/util/durable-object-retries.ts";
import type { BudgetDO } from "./budget-do.ts";
import { GatewayError } from "./errors.ts";

/**
 * An upper bound on a request's input tokens without a tokenizer. Byte-level
 * BPE tokenizers average 3-4 bytes per token on English and code and about
 * 3 bytes (one CJK character) at worst, so half the UTF-8 size is
 * conservative; fixed allowances cover per-message framing and the
 * instructions providers add when tools are offered.
 */
export function estimateInputTokens(req: Pick<GatewayInvokeRequest, "messages" | "tools">): number {
  const encoder = new TextEncoder();
  let bytes = 0;
  for (const m of req.messages) {
    bytes += encoder.encode(m.content ?? "").length;
    if (m.tool_calls) bytes += encoder.encode(JSON.stringify(m.tool_calls)).length;
  }
  if (req.tools && req.tools.length > 0) bytes += encoder.encode(JSON.stringify(req.tools)).length;
  const framing = 16 + 8 * req.messages.length + (req.tools && req.tools.length > 0 ? 512 : 0);
  return Math.ceil(bytes / 2) + framing;
}

function usd(value: number): string {
  return `$${Number(value.toFixed(6))}`;
}

/** One run's ledger. A run without a budget only records what it spent. */
export class BudgetLedger {
  readonly runId: string;
  readonly budgetUsd: number;
  private readonly namespace: DurableObjectNamespace<BudgetDO>;

  constructor(namespace: DurableObjectNamespace<BudgetDO>, runId: string, budgetUsd: number) {
    this.runId = runId;
    this.budgetUsd = budgetUsd;
    this.namespace = namespace;
  }

  /** A new stub per call: one that threw may stay broken, and a retry needs a working one. */
  private get stub(): DurableObjectStub<BudgetDO> {
    return budgetStub(this.namespace, this.runId);
  }

  get limited(): boolean {
    return this.budgetUsd > 0;
  }

  /** Holds the most a call can cost; throws `budget_exceeded` (402, not retryable) when it does not fit. */
  async reserve(stepId: string, amountUsd: number): Promise<string> {
    // Not retried: each call holds a new reservation.
    const result = await this.stub.reserve({ run_id: this.runId, step_id: stepId, budget_usd: this.budgetUsd, amount_usd: amountUsd });
    if (result.ok) return result.reservation_id;
    const r = result.report;
    throw new GatewayError(
      "budget_exceeded",
      `cost budget of ${usd(r.budget_usd)} for run "${this.runId}" exhausted: spent ${usd(r.spent_usd)}, ${usd(r.reserved_usd)} held by calls in flight, this call could cost up to ${usd(amountUsd)}`,
    );
  }

  /** Not retried: it charges the cost even when the reservation is gone, so a repeat would charge twice. */
  async settle(reservationId: string, costUsd: number): Promise<void> {
    await this.stub.settle(reservationId, costUsd);
  }

  /** Retried on a transient error: dropping a reservation by id twice changes nothing. */
  async release(reservationId: string): Promise<void> {
    await retryDurableObjectCall(() => this.stub.release(reservationId));
  }

  /** Not retried: it adds to what was spent. */
  async record(stepId: string, costUsd: number): Promise<void> {
    await this.stub.record(this.runId, stepId, costUsd);
  }
}

/** The run's BudgetDO. */
export function budgetStub(namespace: DurableObjectNamespace<BudgetDO>, runId: string): DurableObjectStub<BudgetDO> {
  return namespace.get(namespace.idFromName(runId));
}

/** What the run spent and holds; a read, so a transient failure is retried. */
export async function budgetReport(namespace: DurableObjectNamespace<BudgetDO>, runId: string): Promise<BudgetReport> {
  return await retryDurableObjectCall(() => budgetStub(namespace, runId).report(runId));
}
