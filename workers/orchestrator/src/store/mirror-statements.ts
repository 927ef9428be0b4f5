import type { runs, steps } from "./schema.ts";
import { type RowReader, rowReader } from "./row-reader.ts";
import { type RowWriter, rowWriter } from "./row-writer.ts";
import type { SqlStyle } from "./sql-style.ts";
import type { StoreTables } from "./store-tables.ts";

const RUN_COLUMNS = [
  "id",
  "workflowName",
  "status",
  "error",
  "metadata",
  "payload",
  "parentRunId",
  "costMicroUsd",
  "traceParent",
  "createdAt",
  "updatedAt",
  "completedAt",
] as const;
const STEP_COLUMNS = [
  "runId",
  "id",
  "name",
  "type",
  "status",
  "seq",
  "error",
  "output",
  "rawOutput",
  "validationErrors",
  "metrics",
  "reflected",
  "messages",
  "calls",
  "startedAt",
  "endedAt",
  "signal",
  "cancelled",
] as const;
const EVENT_COLUMNS = ["runId", "seq", "type", "stepId", "data", "createdAt"] as const;
const APPROVAL_COLUMNS = [
  "runId",
  "stepId",
  "seq",
  "toolName",
  "toolUseId",
  "arguments",
  "onReject",
  "timeoutMs",
  "timeoutBehavior",
  "status",
  "partialMetrics",
  "createdAt",
  "decidedAt",
] as const;

type Keys<C extends readonly string[]> = C[number];

/** The mirror's writes and the run view's reads, as plain statements (row-writer.ts, row-reader.ts say why). */
export interface MirrorStatements {
  /** A new run's row, kept as it is when the id exists; returns the id when the row was inserted. */
  createRun: RowWriter<Record<Keys<typeof RUN_COLUMNS> | "idempotencyKey", unknown>>;
  writeRuns: RowWriter<Record<Keys<typeof RUN_COLUMNS>, unknown>>;
  writeSteps: RowWriter<Record<Keys<typeof STEP_COLUMNS>, unknown>>;
  writeEvents: RowWriter<Record<Keys<typeof EVENT_COLUMNS>, unknown>>;
  writeApprovals: RowWriter<Record<Keys<typeof APPROVAL_COLUMNS>, unknown>>;
  runReader: RowReader<typeof runs.$inferSelect>;
  stepReader: RowReader<typeof steps.$inferSelect>;
  /** One run by id. */
  selectRun: string;
  /** A run's steps in start order. */
  selectSteps: string;
}

/** Built once per dialect. Upserts: a run or step row takes every column of the new row; events are written once. */
export function mirrorStatements(tables: StoreTables, style: SqlStyle): MirrorStatements {
  const runReader = rowReader<typeof runs.$inferSelect>(tables.runs);
  const stepReader = rowReader<typeof steps.$inferSelect>(tables.steps);
  const p1 = style.placeholder(1);
  return {
    createRun: rowWriter(tables.runs, [...RUN_COLUMNS, "idempotencyKey"], { doNothing: true, returning: ["id"] }, style),
    writeRuns: rowWriter(tables.runs, RUN_COLUMNS, { target: ["id"], update: RUN_COLUMNS.filter((c) => c !== "id") }, style),
    writeSteps: rowWriter(tables.steps, STEP_COLUMNS, { target: ["runId", "id"], update: STEP_COLUMNS.filter((c) => c !== "runId" && c !== "id") }, style),
    writeEvents: rowWriter(tables.events, EVENT_COLUMNS, { doNothing: true }, style),
    writeApprovals: rowWriter(tables.approvals, APPROVAL_COLUMNS, { target: ["runId", "stepId", "seq"], update: ["status", "decidedAt"] }, style),
    runReader,
    stepReader,
    selectRun: `${runReader.select} where "${tables.runs.id.name}" = ${p1} limit 1`,
    selectSteps: `${stepReader.select} where "${tables.steps.runId.name}" = ${p1} order by "${tables.steps.seq.name}" asc`,
  };
}
