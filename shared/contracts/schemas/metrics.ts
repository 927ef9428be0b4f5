// Per-step usage as a zod schema: the one definition of StepMetrics (shared/contracts/metrics.ts
// derives its type from it), validating what crosses a boundary and describing the HTTP API.
import { z } from "zod";

const count = z.number().int().nonnegative();

export const StepMetricsSchema = z
  .object({
    duration_ms: z.number(),
    tokens_in: count,
    tokens_out: count,
    cost_usd: z.number(),
    llm_calls: count,
    tool_calls: count,
    /** Omitted when the step was not reflected on. */
    reflected: z.boolean().optional(),
    /** Omitted when 0. */
    reflect_calls: count.optional(),
  })
  .meta({ id: "Metrics", description: "A step's usage; `reflected` and `reflect_calls` are omitted when false / 0" });
