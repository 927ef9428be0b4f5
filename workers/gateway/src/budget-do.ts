import { DurableObject } from "cloudflare:workers";
import type { BudgetReport } from "../../../shared/contracts/gateway.ts";
import type { GatewayEnv } from "./env.ts";
import { roundUsd } from "./pricing.ts";

/**
 * A reservation not settled within this time belongs to a gateway invocation
 * that died mid-call. The provider may have billed it, so it is charged in
 * full: the budget must never be exceeded because a caller vanished.
 * Well above the longest provider call (`KTSU_GATEWAY_PROVIDER_TIMEOUT_MS`, default 2 min).
 */
export const RESERVATION_TTL_MS = 10 * 60_000;

interface Reservation {
  amount_usd: number;
  step_id: string;
  at: number;
}

interface BudgetState {
  run_id: string;
  budget_usd: number;
  spent_usd: number;
  calls: number;
  rejected: number;
  by_step: Record<string, number>;
  reservations: Record<string, Reservation>;
}

export interface ReserveInput {
  run_id: string;
  step_id: string;
  /** The caller's `cost_budget_usd` (> 0). */
  budget_usd: number;
  /** The most this call can cost. */
  amount_usd: number;
}

export type ReserveResult = { ok: true; reservation_id: string } | { ok: false; report: BudgetReport };

const STATE_KEY = "state";

/**
 * The spend of one run (`budget_run_id`), with a single writer. Every method is
 * synchronous (SQLite-backed synchronous KV), so no two calls ever interleave:
 * the check and the reservation happen as one step, however many calls race.
 */
export class BudgetDO extends DurableObject<GatewayEnv> {
  private cached: BudgetState | undefined;

  private load(runId: string): BudgetState {
    this.cached ??= this.ctx.storage.kv.get<BudgetState>(STATE_KEY) ?? {
      run_id: runId,
      budget_usd: 0,
      spent_usd: 0,
      calls: 0,
      rejected: 0,
      by_step: {},
      reservations: {},
    };
    return this.cached;
  }

  private save(state: BudgetState): void {
    this.ctx.storage.kv.put(STATE_KEY, state);
  }

  /** Holds `amount_usd` for one call, or refuses when it could take spend past the budget. */
  reserve(input: ReserveInput): ReserveResult {
    const state = this.load(input.run_id);
    this.chargeAbandoned(state, Date.now());
    state.budget_usd = input.budget_usd;
    const committed = roundUsd(state.spent_usd + reservedOf(state) + input.amount_usd);
    if (state.spent_usd >= state.budget_usd || committed > state.budget_usd) {
      state.rejected += 1;
      this.save(state);
      return { ok: false, report: reportOf(state) };
    }
    const id = crypto.randomUUID();
    state.reservations[id] = { amount_usd: input.amount_usd, step_id: input.step_id, at: Date.now() };
    this.save(state);
    return { ok: true, reservation_id: id };
  }

  /** Replaces a reservation by the call's real cost. */
  settle(reservationId: string, costUsd: number): void {
    const state = this.load("");
    const reservation = state.reservations[reservationId];
    if (reservation && costUsd > reservation.amount_usd) {
      console.warn(`gateway budget: run "${state.run_id}": a call cost $${costUsd}, more than its reservation of $${reservation.amount_usd}`);
    }
    delete state.reservations[reservationId];
    charge(state, reservation?.step_id ?? "", costUsd);
    this.save(state);
  }

  /** Drops a reservation whose call never reached or never got an answer from a provider. */
  release(reservationId: string): void {
    const state = this.load("");
    if (delete state.reservations[reservationId]) this.save(state);
  }

  /** Records the cost of a call made without a budget. */
  record(runId: string, stepId: string, costUsd: number): void {
    const state = this.load(runId);
    charge(state, stepId, costUsd);
    this.save(state);
  }

  report(runId: string): BudgetReport {
    const state = this.load(runId);
    if (this.chargeAbandoned(state, Date.now())) this.save(state);
    return reportOf(state);
  }

  private chargeAbandoned(state: BudgetState, now: number): boolean {
    let changed = false;
    for (const [id, reservation] of Object.entries(state.reservations)) {
      if (now - reservation.at < RESERVATION_TTL_MS) continue;
      console.warn(`gateway budget: run "${state.run_id}": charging an abandoned reservation of $${reservation.amount_usd} (step "${reservation.step_id}")`);
      delete state.reservations[id];
      charge(state, reservation.step_id, reservation.amount_usd);
      changed = true;
    }
    return changed;
  }
}

function charge(state: BudgetState, stepId: string, costUsd: number): void {
  state.spent_usd = roundUsd(state.spent_usd + costUsd);
  state.calls += 1;
  state.by_step[stepId] = roundUsd((state.by_step[stepId] ?? 0) + costUsd);
}

function reservedOf(state: BudgetState): number {
  return roundUsd(Object.values(state.reservations).reduce((sum, r) => sum + r.amount_usd, 0));
}

function reportOf(state: BudgetState): BudgetReport {
  return {
    run_id: state.run_id,
    budget_usd: state.budget_usd,
    spent_usd: state.spent_usd,
    reserved_usd: reservedOf(state),
    calls: state.calls,
    rejected: state.rejected,
    by_step: { ...state.by_step },
  };
}
