// The gateway's budget report as a zod schema (shared/contracts/gateway.ts derives BudgetReport).
import { z } from "zod";

/** `GET /budget/:run_id` 200 body. A run the gateway never saw reports zeros. */
export const BudgetReportSchema = z.object({
  run_id: z.string(),
  budget_usd: z.number().describe("The latest positive `cost_budget_usd` seen for the run; 0 = not limited"),
  spent_usd: z.number().describe("Settled cost of every successful provider call"),
  reserved_usd: z.number().describe("Held by calls in flight"),
  calls: z.number().int().describe("Successful provider calls"),
  rejected: z.number().int().describe("Calls refused by the budget without reaching a provider"),
  by_step: z.record(z.string(), z.number()).describe("Settled cost per step id"),
});
