// The per-run budget circuit breaker: reserve before a call, settle after,
// reject once spent; exact under concurrency.
import { runInDurableObject } from "cloudflare:test";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { estimateInputTokens } from "../../../workers/gateway/src/budget.ts";
import { RESERVATION_TTL_MS } from "../../../workers/gateway/src/budget-do.ts";
import { maxCostOf } from "../../../workers/gateway/src/pricing.ts";
import { budget, expectNoSecretsLeaked, fakeCalls, gatewayEnv, invoke, invokeBody, resetFake, runId, script, type InvokeBody } from "./helpers.ts";

beforeEach(resetFake);
afterAll(expectNoSecretsLeaked);

// The `metered` group: fake/metered at 100 USD per million in, 200 out.
const METERED = { input_per_million: 100, output_per_million: 200 };

function meteredCall(overrides: InvokeBody = {}): InvokeBody {
  return invokeBody({ group: "metered", step_id: "think", max_tokens: 8, ...overrides });
}

/** The reservation the gateway makes for a call (the most it can cost). */
function reservationOf(body: InvokeBody): number {
  return maxCostOf(METERED, estimateInputTokens(body as never), body.max_tokens as number, "openai");
}

describe("budget", () => {
  it("rejects a call whose worst-case cost does not fit, without calling the provider", async () => {
    const run = runId();
    const body = meteredCall({ run_id: run, max_tokens: 64, cost_budget_usd: 0.001 });
    const reply = await invoke(body);
    expect(reply.status).toBe(402);
    expect(reply.body.error).toBe("budget_exceeded");
    expect(reply.body.retryable).toBe(false);
    expect(reply.body.message).toContain(`cost budget of $0.001 for run "${run}" exhausted`);
    expect(await fakeCalls()).toHaveLength(0);
    expect(await budget(run)).toEqual({ run_id: run, budget_usd: 0.001, spent_usd: 0, reserved_usd: 0, calls: 0, rejected: 1, by_step: {} });
  });

  it("settles the real cost, per step, into the budget run shared by sub-runs", async () => {
    const root = runId("root");
    await script({ usage: { input_tokens: 1000, output_tokens: 10 } }, { usage: { input_tokens: 10, output_tokens: 100 } });
    const first = await invoke(meteredCall({ run_id: root, step_id: "plan", cost_budget_usd: 1 }));
    const second = await invoke(meteredCall({ run_id: `${root}/child`, budget_run_id: root, step_id: "act", cost_budget_usd: 1 }));
    expect(first.body.cost_usd).toBe(0.102); // 1000×100 + 10×200 per million
    expect(second.body.cost_usd).toBe(0.021);
    expect(await budget(root)).toEqual({
      run_id: root,
      budget_usd: 1,
      spent_usd: 0.123,
      reserved_usd: 0,
      calls: 2,
      rejected: 0,
      by_step: { plan: 0.102, act: 0.021 },
    });
    expect((await budget(`${root}/child`)).calls).toBe(0);
  });

  it("releases the reservation when the provider fails", async () => {
    const run = runId();
    await script({ status: 400, error: { message: "no" } });
    expect((await invoke(meteredCall({ run_id: run, cost_budget_usd: 1 }))).status).toBe(502);
    expect(await budget(run)).toMatchObject({ spent_usd: 0, reserved_usd: 0, calls: 0, rejected: 0 });
  });

  it("meters budgeted runs only: a run without a budget leaves no ledger (its cost is in the reply)", async () => {
    const run = `${runId()}/sub`;
    await script({ usage: { input_tokens: 100, output_tokens: 100 } });
    const res = await invoke(meteredCall({ run_id: run }));
    expect(res.status).toBe(200);
    expect(res.body.cost_usd).toBeCloseTo(0.03, 10);
    expect(await budget(run)).toEqual({ run_id: run, budget_usd: 0, spent_usd: 0, reserved_usd: 0, calls: 0, rejected: 0, by_step: {} });
  });

  it("reports a budgeted run's spend, run ids with a slash included", async () => {
    const run = `${runId()}/sub`;
    await script({ usage: { input_tokens: 100, output_tokens: 100 } });
    expect((await invoke(meteredCall({ run_id: run, cost_budget_usd: 5 }))).status).toBe(200);
    expect(await budget(run)).toMatchObject({ run_id: run, budget_usd: 5, spent_usd: 0.03, reserved_usd: 0, calls: 1, by_step: { think: 0.03 } });
  });

  it("charges a reservation abandoned by a gateway that died mid-call", async () => {
    const run = runId();
    const stub = gatewayEnv.BUDGET.get(gatewayEnv.BUDGET.idFromName(run));
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.kv.put("state", {
        run_id: run,
        budget_usd: 1,
        spent_usd: 0,
        calls: 0,
        rejected: 0,
        by_step: {},
        reservations: {
          old: { amount_usd: 0.4, step_id: "lost", at: Date.now() - RESERVATION_TTL_MS - 1 },
          live: { amount_usd: 0.2, step_id: "busy", at: Date.now() },
        },
      });
    });
    expect(await budget(run)).toMatchObject({ spent_usd: 0.4, reserved_usd: 0.2, by_step: { lost: 0.4 } });
  });

  it("never lets 100 concurrent calls of one run spend more than its budget", async () => {
    const probe = meteredCall({ run_id: runId("probe") });
    const cost = (await invoke(probe)).body.cost_usd;
    expect(cost).toBeGreaterThan(0);
    const reservation = reservationOf(probe);
    expect(reservation).toBeGreaterThanOrEqual(cost);

    const run = runId("race");
    const limit = Math.round(30 * cost * 1e9) / 1e9; // room for 30 calls at their real cost
    const call = () => invoke(meteredCall({ run_id: run, cost_budget_usd: limit }));
    await resetFake();

    const replies = await Promise.all(Array.from({ length: 100 }, call));
    for (const r of replies) expect([200, 402]).toContain(r.status);
    const ok = replies.filter((r) => r.status === 200).length;
    let report = await budget(run);
    expect(report.spent_usd).toBeLessThanOrEqual(limit);
    expect(report.reserved_usd).toBe(0);
    expect(report.calls).toBe(ok);
    expect(report.rejected).toBe(100 - ok);
    expect(report.spent_usd).toBeCloseTo(ok * cost, 9);
    // Rejected calls never reached the provider; at least the calls whose reservations fit at once went through.
    expect(await fakeCalls()).toHaveLength(ok);
    expect(ok).toBeGreaterThanOrEqual(Math.floor(limit / reservation));
    expect(ok).toBeLessThanOrEqual(30);

    // Spend the rest one call at a time: the breaker opens only when the next worst case no longer fits.
    let total = ok;
    while ((await call()).status === 200) total += 1;
    report = await budget(run);
    expect(total).toBeLessThanOrEqual(30);
    expect(report.spent_usd).toBeLessThanOrEqual(limit);
    expect(report.spent_usd).toBeGreaterThan(limit - reservation);
    expect(report.calls).toBe(total);
    expect((await call()).status).toBe(402);
  });

  it("rejects every call once spend has reached the budget, even one it cannot price", async () => {
    const run = runId();
    await script({ usage: { input_tokens: 1000, output_tokens: 0 } });
    expect((await invoke(meteredCall({ run_id: run, cost_budget_usd: 0.1 }))).status).toBe(200); // exactly 0.1: leaves nothing
    const unpriced = await invoke(invokeBody({ run_id: run, group: "rotation", cost_budget_usd: 0.1 }));
    expect(unpriced.status).toBe(402);
    expect(await budget(run)).toMatchObject({ budget_usd: 0.1, spent_usd: 0.1, calls: 1, rejected: 1 });
  });
});
