import type { RunEventType } from "../../../../shared/contracts/events.ts";
import type { StepMetrics } from "../../../../shared/contracts/metrics.ts";
import type {
  ApprovalStatus,
  ReservedSignalField,
  RunStatus,
  StepCancellation,
  StepRecord,
  StepStatus,
  ValidationFailure,
} from "../../../../shared/contracts/records.ts";
import type { ChatMessage, StepCall } from "../../../../shared/contracts/runtime.ts";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The D1 Store: the queryable mirror of run state. Each run's Durable Object
 * is the source of truth and writes here after its own storage; these tables
 * serve `GET /runs`, `GET /runs/{id}`, the envelope, approvals and events.
 * Timestamps are RFC 3339 strings, JSON columns are text.
 */
export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    workflowName: text("workflow_name").notNull(),
    status: text("status").$type<RunStatus>().notNull(),
    error: text("error"),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>(),
    /** Set on sub-runs (`<parent>/<step>`); null for root runs. */
    parentRunId: text("parent_run_id"),
    /**
     * Queue-triggered runs: the idempotency key as the producer gave it, for reading only. The
     * same key may name runs of other workflows or other credentials (idempotency_keys dedups).
     */
    idempotencyKey: text("idempotency_key"),
    /** Spend so far in millionths of a USD (integers keep sums exact). */
    costMicroUsd: integer("cost_microusd").notNull().default(0),
    /** W3C `traceparent` of the run's span (null on runs from before traces were kept). */
    traceParent: text("trace_parent"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    completedAt: text("completed_at"),
  },
  (t) => [
    index("idx_runs_created_at").on(t.createdAt),
    index("idx_runs_workflow_created").on(t.workflowName, t.createdAt),
    index("idx_runs_status_created").on(t.status, t.createdAt),
    // Retention finds a run's sub-runs through it.
    index("idx_runs_parent").on(t.parentRunId),
  ],
);

/**
 * Idempotency keys as claimed: one row per key space (workflow, caller's credential, key),
 * named by a SHA-256 of the three so neither the key nor the credential is stored. It
 * remembers the run the key names and a SHA-256 of the request body: the same key with the
 * same body names that run again; with another body it is refused.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    scope: text("scope").primaryKey(),
    runId: text("run_id").notNull(),
    bodyHash: text("body_hash").notNull(),
    createdAt: text("created_at").notNull(),
  },
  // The cron deletes expired keys by age (idempotency.ts KEY_LIFETIME_DAYS).
  (t) => [index("idx_idempotency_keys_created_at").on(t.createdAt)],
);

export const steps = sqliteTable(
  "steps",
  {
    runId: text("run_id").notNull(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    type: text("type").$type<StepRecord["type"]>().notNull(),
    status: text("status").$type<StepStatus>().notNull(),
    /** Start order within the run: the envelope lists steps in execution order. */
    seq: integer("seq").notNull(),
    error: text("error"),
    output: text("output", { mode: "json" }).$type<Record<string, unknown>>(),
    /** The unvalidated output when Air-Lock or JSON parsing rejected it. */
    rawOutput: text("raw_output"),
    /** Air-Lock failures: `[{path, message}]`. */
    validationErrors: text("validation_errors", { mode: "json" }).$type<ValidationFailure[]>(),
    metrics: text("metrics", { mode: "json" }).$type<StepMetrics>().notNull(),
    reflected: integer("reflected", { mode: "boolean" }),
    messages: text("messages", { mode: "json" }).$type<ChatMessage[]>(),
    /** Agent steps: their LLM and tool calls with times (the run viewer's timeline, the trace's spans). */
    calls: text("calls", { mode: "json" }).$type<StepCall[]>(),
    startedAt: text("started_at"),
    endedAt: text("ended_at"),
    /** The reserved `ktsu_*` output field that failed the step or sent it to a human. */
    signal: text("signal").$type<ReservedSignalField>(),
    /** `{run_status}` when the step was cancelled because the run ended around it. */
    cancelled: text("cancelled", { mode: "json" }).$type<StepCancellation>(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.id] }), index("idx_steps_run_seq").on(t.runId, t.seq)],
);

export const events = sqliteTable(
  "events",
  {
    runId: text("run_id").notNull(),
    /** Per-run sequence number: the SSE event id. */
    seq: integer("seq").notNull(),
    type: text("type").$type<RunEventType>().notNull(),
    stepId: text("step_id"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

/** Approvals keep a history: a step may ask again after a resume, and each request keeps its own row. */
export const approvals = sqliteTable(
  "approvals",
  {
    runId: text("run_id").notNull(),
    stepId: text("step_id").notNull(),
    seq: integer("seq").notNull(),
    toolName: text("tool_name").notNull(),
    toolUseId: text("tool_use_id").notNull(),
    arguments: text("arguments", { mode: "json" }).$type<Record<string, unknown>>(),
    onReject: text("on_reject").notNull(),
    timeoutMs: integer("timeout_ms").notNull().default(0),
    timeoutBehavior: text("timeout_behavior").notNull(),
    status: text("status").$type<ApprovalStatus>().notNull(),
    partialMetrics: text("partial_metrics", { mode: "json" }).$type<StepMetrics>(),
    createdAt: text("created_at").notNull(),
    decidedAt: text("decided_at"),
  },
  (t) => [primaryKey({ columns: [t.runId, t.stepId, t.seq] }), index("idx_approvals_status").on(t.status, t.createdAt)],
);
