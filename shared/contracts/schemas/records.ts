// Run, Step, Approval and envelope records as the HTTP API shows them, as zod schemas: the one
// definition of these shapes (shared/contracts/records.ts derives its types from them) and the
// response schemas of the orchestrator's OpenAPI document.
import { z } from "zod";
import { BudgetReportSchema } from "./gateway.ts";
import { StepMetricsSchema } from "./metrics.ts";
import { ChatMessageSchema, StepCallSchema } from "./runtime.ts";

const jsonObject = z.record(z.string(), z.unknown());
/** RFC 3339 timestamps, as the Store writes them. */
const timestamp = z.string().meta({ format: "date-time" });

/** `cancelled`: stopped by `POST /runs/{id}/cancel` (or a cancelled parent run), a terminal status like complete and failed. */
export const RunStatusSchema = z.enum(["pending", "running", "complete", "failed", "needs_human", "cancelled"]);
export const StepStatusSchema = z.enum(["pending", "running", "complete", "failed", "skipped", "pending_approval", "needs_human"]);
export const StepTypeSchema = z.enum(["agent", "transform", "webhook", "workflow"]);

export const RunRecordSchema = z
  .object({
    id: z.string(),
    workflow_name: z.string(),
    status: RunStatusSchema,
    created_at: timestamp,
    updated_at: timestamp,
    completed_at: timestamp.optional(),
    error: z.string().optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    payload: jsonObject.optional(),
    parent_run_id: z.string().optional().describe("Sub-runs only: the parent run id"),
    cost_usd: z.number().optional().describe("Spend of the run so far (sum of its steps), USD"),
    trace_parent: z
      .string()
      .optional()
      .describe("W3C `traceparent` of the run's root span: the trace the run's spans belong to (the caller's when `POST /invoke` carried one)"),
  })
  .meta({ id: "Run" });

export const ValidationFailureSchema = z.object({
  path: z.string().describe('JSON pointer into the output ("" = the whole output)'),
  message: z.string(),
});

/** The reserved `ktsu_*` output fields that end a step by themselves (a model's output flags itself). */
export const ReservedSignalFieldSchema = z.enum([
  "ktsu_injection_attempt",
  "ktsu_untrusted_content",
  "ktsu_low_quality",
  "ktsu_needs_human",
  "ktsu_confidence",
]);

/** A step stopped because the run around it ended (fail-fast, or a cancel), not because of its own result. */
export const StepCancellationSchema = z.object({ run_status: RunStatusSchema.describe("The run status that stopped the step") });

export const StepRecordSchema = z
  .object({
    id: z.string(),
    run_id: z.string(),
    name: z.string(),
    type: StepTypeSchema,
    status: StepStatusSchema,
    seq: z.number().int().describe("Start order within the run"),
    started_at: timestamp.optional(),
    ended_at: timestamp.optional(),
    error: z.string().optional(),
    output: jsonObject.optional(),
    raw_output: z.string().optional().describe("The rejected output, when Air-Lock or JSON parsing refused it"),
    validation_errors: z.array(ValidationFailureSchema).optional().describe("Air-Lock failures with the failing paths"),
    metrics: StepMetricsSchema,
    reflected: z.boolean().optional(),
    messages: z.array(ChatMessageSchema).optional().describe("The agent's conversation"),
    calls: z.array(StepCallSchema).optional().describe("Agent steps: the step's LLM and tool calls with their times, in the order made"),
    signal: ReservedSignalFieldSchema.optional().describe("Set when a reserved output field failed the step or sent it to a human"),
    cancelled: StepCancellationSchema.optional().describe("Set when the run ended around the step while it was still running"),
  })
  .meta({ description: "A step of a run" });

/** `cancelled`: the run ended (cancelled or failed) while the approval was still pending; it can no longer be decided. */
export const ApprovalStatusSchema = z.enum(["pending", "approved", "rejected", "timeout", "cancelled"]);

/** A human decision a step waits for; a step may ask again after a resume, so there can be several over time. */
export const ApprovalRecordSchema = z
  .object({
    run_id: z.string(),
    step_id: z.string(),
    seq: z.number().int().describe("1, 2, … per step: a resumed step may ask again"),
    tool_name: z.string().describe("The gated tool, or `ktsu_needs_human` when the step's output asked for a human"),
    tool_use_id: z.string(),
    arguments: jsonObject.optional(),
    on_reject: z.string(),
    timeout_ms: z.number().int(),
    timeout_behavior: z.string(),
    status: ApprovalStatusSchema,
    created_at: timestamp,
    decided_at: timestamp.optional(),
    partial_metrics: StepMetricsSchema,
  })
  .meta({ id: "Approval" });

/** One settled step in the envelope. */
export const EnvelopeStepSchema = z.object({
  id: z.string(),
  output: jsonObject,
  metrics: StepMetricsSchema,
  timestamp: timestamp,
  status: z.string().optional(),
  error: z.string().optional(),
});

export const EnvelopeTotalsSchema = z.object({
  duration_ms: z.number(),
  tokens_in: z.number(),
  tokens_out: z.number(),
  cost_usd: z.number(),
  llm_calls: z.number(),
  tool_calls: z.number(),
});

/** `GET /runs/{id}/envelope`. */
export const EnvelopeSchema = z.object({
  run_id: z.string(),
  workflow: z.string(),
  status: z.string().optional(),
  error: z.string().optional(),
  payload: jsonObject.optional(),
  steps: z.array(EnvelopeStepSchema).nullable(),
  totals: EnvelopeTotalsSchema,
});

/** The envelope as the API serves it: with the gateway's ledger for budgeted runs. */
export const ServedEnvelopeSchema = EnvelopeSchema.extend({
  budget: BudgetReportSchema.optional().describe("Budgeted runs only: the gateway's ledger"),
}).meta({ id: "Envelope" });
