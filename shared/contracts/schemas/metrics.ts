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
    model_resolved: z
      .string()
      .optional()
      .describe(
        "`<provider>/<model-id>` of the model that answered the step's last LLM call, the reply its output came from. A fanout or sub-workflow step names it only when one model answered all its parts. Omitted when no LLM call was answered (and on records stored before it was kept)",
      ),
    models_resolved: z
      .array(z.string())
      .optional()
      .describe(
        "Every distinct model that answered one of the step's LLM calls, in the order first seen; present only when there were several (a group's fallback or round robin, a fanout's items on different models)",
      ),
  })
  .meta({
    id: "Metrics",
    description: "A step's usage; `reflected` and `reflect_calls` are omitted when false / 0, `model_resolved` and `models_resolved` as described on each",
  });
