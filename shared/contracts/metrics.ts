import type { z } from "zod";
import type { StepMetricsSchema } from "./schemas/metrics.ts";

/** Per-step usage; defined once as the zod schema in schemas/metrics.ts. */
export type StepMetrics = z.infer<typeof StepMetricsSchema>;
