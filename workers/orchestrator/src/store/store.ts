import { and, asc, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import type { ApprovalRecord, RunEvent, RunRecord, RunStatus, StepRecord } from "../../../../shared/contracts/records.ts";
import { RunStatusSchema } from "../../../../shared/contracts/schemas/records.ts";
import { zeroMetrics } from "../engine/metrics.ts";
import type { KeyClaim } from "../idempotency.ts";
import type { StoreDriver } from "./driver.ts";
import type { StoreReadiness } from "./readiness.ts";
import type { approvals, runs, steps } from "./schema.ts";
import type { StoreDb, StoreTables } from "./store-tables.ts";

const MICRO = 1_000_000;

/** Statuses of a run that has ended for good (a needs_human run waits on a person and may resume). */
const ENDED_RUN_STATUSES: RunStatus[] = ["complete", "failed", "cancelled"];

/** Run ids per statement of retention's deletes: D1 binds at most 100 parameters. */
const IDS_PER_STATEMENT = 90;

function chunks<T>(items: T[], size = IDS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface RunFilter {
  workflow?: string;
  status?: string;
  limit: number;
}

/**
 * The Store: the queryable mirror of what the run Durable Objects own, in D1 or Postgres
 * (open-store.ts picks). Its queries are written once, with drizzle's query builder over
 * `this.t`, the driver's tables (store-tables.ts says how both dialects take them).
 * Writes are upserts so a Durable Object can replay them after a restart.
 */
export class Store {
  readonly db: StoreDb;
  /** The tables of the driver's dialect; query them through `this.db`, never a schema module's tables. */
  readonly t: StoreTables;
  private readonly driver: StoreDriver;

  constructor(driver: StoreDriver) {
    this.driver = driver;
    this.db = driver.db;
    this.t = driver.tables;
  }

  /** Named in messages: "D1" or "Postgres". */
  get dialect(): string {
    return this.driver.name;
  }

  readiness(): Promise<StoreReadiness> {
    return this.driver.readiness();
  }

  /** Creates the run row; a second call with the same id changes nothing. Returns whether it was created. */
  async createRun(run: RunRecord, idempotencyKey?: string): Promise<boolean> {
    // A plain statement: every run starts here, and drizzle's query builder cost more than the insert.
    const [statement] = this.driver.statements.createRun([{ ...runRow(run), idempotencyKey: idempotencyKey ?? null }]);
    const rows = await this.driver.rows(statement!);
    return rows.length > 0;
  }

  /**
   * Claims an idempotency key for a run: the first claim of a key space is stored, and every
   * claim answers with the stored one (the caller compares its body hash with its own).
   */
  async claimIdempotencyKey(claim: KeyClaim): Promise<KeyClaim> {
    const { idempotencyKeys } = this.t;
    await this.db
      .insert(idempotencyKeys)
      .values({ ...claim, createdAt: new Date().toISOString() })
      .onConflictDoNothing();
    const [row] = await this.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.scope, claim.scope)).limit(1);
    if (!row) throw new Error(`idempotency key claim ${claim.scope} was not stored`);
    return { scope: row.scope, runId: row.runId, bodyHash: row.bodyHash };
  }

  /**
   * One batch: the run row, changed steps, new events and changed approvals of a run,
   * written together. Multi-row statements sized under the dialect's bound parameters per
   * statement (D1: 100): a 100-step fan-in costs a handful of statements instead of hundreds.
   */
  async mirror(change: { run?: RunRecord; steps?: StepRecord[]; events?: RunEvent[]; approvals?: ApprovalRecord[] }): Promise<void> {
    const s = this.driver.statements;
    await this.driver.batch([
      ...(change.run ? s.writeRuns([runRow(change.run)]) : []),
      ...s.writeSteps((change.steps ?? []).map(stepRow)),
      ...s.writeEvents((change.events ?? []).map(eventRow)),
      ...s.writeApprovals((change.approvals ?? []).map(approvalRow)),
    ]);
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    const { runs } = this.t;
    const conditions = [];
    if (filter.workflow !== undefined) conditions.push(eq(runs.workflowName, filter.workflow));
    if (filter.status !== undefined) {
      // A word that is no run status matches no run.
      const status = RunStatusSchema.safeParse(filter.status);
      if (!status.success) return [];
      conditions.push(eq(runs.status, status.data));
    }
    const rows = await this.db
      .select()
      .from(runs)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(desc(runs.createdAt), desc(this.driver.runInsertionOrder))
      .limit(filter.limit);
    return rows.map(runRecord);
  }

  /** Runs still `running` whose last change is older than `before` (the cron sweep's candidates). */
  async staleRunningRuns(before: string, limit = 100): Promise<string[]> {
    const { runs } = this.t;
    const rows = await this.db
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.status, "running"), sql`${runs.updatedAt} < ${before}`))
      .orderBy(asc(runs.updatedAt))
      .limit(limit);
    return rows.map((r) => r.id);
  }

  /**
   * Root runs that ended and last changed before `before`, oldest first: retention's candidates.
   * Sub-runs go with their root. The `created_at` bound lets the status index serve the query.
   */
  async expiredRootRuns(before: string, limit: number): Promise<string[]> {
    const { runs } = this.t;
    const rows = await this.db
      .select({ id: runs.id })
      .from(runs)
      .where(and(inArray(runs.status, ENDED_RUN_STATUSES), isNull(runs.parentRunId), lt(runs.createdAt, before), lt(runs.updatedAt, before)))
      .orderBy(asc(runs.updatedAt))
      .limit(limit);
    return rows.map((r) => r.id);
  }

  /** Root runs with all their sub-runs, found level by level through `parent_run_id` (indexed). */
  async runTrees(rootIds: string[]): Promise<string[]> {
    const { runs } = this.t;
    const all = [...rootIds];
    for (let level = rootIds; level.length > 0; ) {
      const next: string[] = [];
      for (const chunk of chunks(level)) {
        const rows = await this.db.select({ id: runs.id }).from(runs).where(inArray(runs.parentRunId, chunk));
        next.push(...rows.map((r) => r.id));
      }
      all.push(...next);
      level = next;
    }
    return all;
  }

  /**
   * Deletes the rows of root runs and their sub-runs from every table, in one batch. The run
   * rows go last, so a failure part-way leaves them for the next attempt to find.
   */
  async deleteRuns(rootIds: string[]): Promise<void> {
    const { runs, events, approvals, steps } = this.t;
    const ids = chunks(await this.runTrees(rootIds));
    const queries = [
      ...ids.flatMap((chunk) => [
        this.db.delete(events).where(inArray(events.runId, chunk)),
        this.db.delete(approvals).where(inArray(approvals.runId, chunk)),
        this.db.delete(steps).where(inArray(steps.runId, chunk)),
      ]),
      ...ids.map((chunk) => this.db.delete(runs).where(inArray(runs.id, chunk))),
    ];
    // As plain statements in the dialect's own text, so the driver runs them atomically (a D1 batch, a Postgres transaction).
    await this.driver.batch(
      queries.map((query) => {
        const { sql: text, params } = query.toSQL();
        return { text, params };
      }),
    );
  }

  /** Deletes up to `limit` idempotency keys claimed before `before`; returns how many went. */
  async deleteIdempotencyKeysBefore(before: string, limit: number): Promise<number> {
    const { idempotencyKeys } = this.t;
    const expired = this.db.select({ scope: idempotencyKeys.scope }).from(idempotencyKeys).where(lt(idempotencyKeys.createdAt, before)).limit(limit);
    const deleted = await this.db.delete(idempotencyKeys).where(inArray(idempotencyKeys.scope, expired)).returning({ scope: idempotencyKeys.scope });
    return deleted.length;
  }

  async countRuns(): Promise<number> {
    // Postgres counts in bigint, which its driver returns as text.
    const [row] = await this.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(this.t.runs);
    return row?.n ?? 0;
  }

  async getRun(id: string): Promise<RunRecord | null> {
    const s = this.driver.statements;
    const [row] = await this.driver.rows({ text: s.selectRun, params: [id] });
    return row ? runRecord(s.runReader.read(row)) : null;
  }

  async listSteps(runId: string): Promise<StepRecord[]> {
    const s = this.driver.statements;
    const rows = await this.driver.rows({ text: s.selectSteps, params: [runId] });
    return rows.map((row) => stepRecord(s.stepReader.read(row)));
  }

  /** A run and its steps in start order, read together (the run view, polled while a run works); null for an unknown run. */
  async runWithSteps(runId: string): Promise<{ run: RunRecord; steps: StepRecord[] } | null> {
    const s = this.driver.statements;
    const params = [runId];
    const [runRows, stepRows] = await this.driver.namedRowsOfEach([
      { text: s.selectRun, params },
      { text: s.selectSteps, params },
    ]);
    const [row] = runRows ?? [];
    if (!row) return null;
    return { run: runRecord(s.runReader.readNamed(row)), steps: (stepRows ?? []).map((step) => stepRecord(s.stepReader.readNamed(step))) };
  }

  /** The newest approval of a step. */
  async latestApproval(runId: string, stepId: string): Promise<ApprovalRecord | null> {
    const { approvals } = this.t;
    const [row] = await this.db
      .select()
      .from(approvals)
      .where(and(eq(approvals.runId, runId), eq(approvals.stepId, stepId)))
      .orderBy(desc(approvals.seq))
      .limit(1);
    return row ? approvalRecord(row) : null;
  }

  async pendingApprovals(limit = 500): Promise<ApprovalRecord[]> {
    const { approvals } = this.t;
    const rows = await this.db.select().from(approvals).where(eq(approvals.status, "pending")).orderBy(asc(approvals.createdAt)).limit(limit);
    return rows.map(approvalRecord);
  }

  async listEvents(runId: string, afterSeq: number, limit = 500): Promise<RunEvent[]> {
    const { events } = this.t;
    const rows = await this.db
      .select()
      .from(events)
      .where(and(eq(events.runId, runId), sql`${events.seq} > ${afterSeq}`))
      .orderBy(asc(events.seq))
      .limit(limit);
    return rows.map((r) => ({
      run_id: r.runId,
      seq: r.seq,
      type: r.type,
      ...(r.stepId ? { step_id: r.stepId } : {}),
      ...(r.data ? { data: r.data } : {}),
      created_at: r.createdAt,
    }));
  }
}

type RunRow = typeof runs.$inferSelect;
type StepRow = typeof steps.$inferSelect;

function runRow(run: RunRecord) {
  return {
    id: run.id,
    workflowName: run.workflow_name,
    status: run.status,
    error: run.error ?? null,
    metadata: run.metadata ?? null,
    payload: run.payload ?? null,
    parentRunId: run.parent_run_id ?? null,
    costMicroUsd: Math.round((run.cost_usd ?? 0) * MICRO),
    traceParent: run.trace_parent ?? null,
    createdAt: run.created_at,
    updatedAt: run.updated_at,
    completedAt: run.completed_at ?? null,
  };
}

function runRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    workflow_name: row.workflowName,
    status: row.status,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    ...(row.completedAt ? { completed_at: row.completedAt } : {}),
    ...(row.error ? { error: row.error } : {}),
    ...(row.metadata ? { metadata: row.metadata } : {}),
    ...(row.payload ? { payload: row.payload } : {}),
    ...(row.parentRunId ? { parent_run_id: row.parentRunId } : {}),
    cost_usd: row.costMicroUsd / MICRO,
    ...(row.traceParent ? { trace_parent: row.traceParent } : {}),
  };
}

function stepRow(step: StepRecord) {
  return {
    runId: step.run_id,
    id: step.id,
    name: step.name,
    type: step.type,
    status: step.status,
    seq: step.seq,
    error: step.error ?? null,
    output: step.output ?? null,
    rawOutput: step.raw_output ?? null,
    validationErrors: step.validation_errors ?? null,
    metrics: step.metrics,
    reflected: step.reflected ?? null,
    messages: step.messages ?? null,
    calls: step.calls ?? null,
    startedAt: step.started_at ?? null,
    endedAt: step.ended_at ?? null,
    signal: step.signal ?? null,
    cancelled: step.cancelled ?? null,
  };
}

function stepRecord(row: StepRow): StepRecord {
  return {
    id: row.id,
    run_id: row.runId,
    name: row.name,
    type: row.type,
    status: row.status,
    seq: row.seq,
    ...(row.startedAt ? { started_at: row.startedAt } : {}),
    ...(row.endedAt ? { ended_at: row.endedAt } : {}),
    ...(row.error ? { error: row.error } : {}),
    ...(row.output ? { output: row.output } : {}),
    ...(row.rawOutput ? { raw_output: row.rawOutput } : {}),
    ...(row.validationErrors ? { validation_errors: row.validationErrors } : {}),
    metrics: row.metrics,
    ...(row.reflected !== null ? { reflected: row.reflected } : {}),
    ...(row.messages ? { messages: row.messages } : {}),
    ...(row.calls ? { calls: row.calls } : {}),
    ...(row.signal ? { signal: row.signal } : {}),
    ...(row.cancelled ? { cancelled: row.cancelled } : {}),
  };
}

function eventRow(event: RunEvent) {
  return {
    runId: event.run_id,
    seq: event.seq,
    type: event.type,
    stepId: event.step_id ?? null,
    data: event.data ?? null,
    createdAt: event.created_at,
  };
}

type ApprovalRow = typeof approvals.$inferSelect;

function approvalRow(a: ApprovalRecord) {
  return {
    runId: a.run_id,
    stepId: a.step_id,
    seq: a.seq,
    toolName: a.tool_name,
    toolUseId: a.tool_use_id,
    arguments: a.arguments ?? null,
    onReject: a.on_reject,
    timeoutMs: a.timeout_ms,
    timeoutBehavior: a.timeout_behavior,
    status: a.status,
    partialMetrics: a.partial_metrics,
    createdAt: a.created_at,
    decidedAt: a.decided_at ?? null,
  };
}

function approvalRecord(row: ApprovalRow): ApprovalRecord {
  return {
    run_id: row.runId,
    step_id: row.stepId,
    seq: row.seq,
    tool_name: row.toolName,
    tool_use_id: row.toolUseId,
    ...(row.arguments ? { arguments: row.arguments } : {}),
    on_reject: row.onReject,
    timeout_ms: row.timeoutMs,
    timeout_behavior: row.timeoutBehavior,
    status: row.status,
    created_at: row.createdAt,
    ...(row.decidedAt ? { decided_at: row.decidedAt } : {}),
    partial_metrics: row.partialMetrics ?? zeroMetrics(),
  };
}
