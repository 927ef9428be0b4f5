// The Store's records of a run's steps and approvals, as the run state mirrors them.

import type { ApprovalRecord, StepRecord } from "../../../../shared/contracts/records.ts";
import type { ApprovalState, StepState } from "./model.ts";

export function stepRecordOf(runId: string, state: StepState): StepRecord {
  return {
    id: state.id,
    run_id: runId,
    name: state.id,
    type: state.type,
    status: state.status === "cancelled" ? "failed" : state.status,
    seq: state.seq,
    ...(state.started_at ? { started_at: state.started_at } : {}),
    ...(state.ended_at ? { ended_at: state.ended_at } : {}),
    ...(state.error ? { error: state.error } : {}),
    ...(state.output ? { output: state.output } : {}),
    ...(state.raw_output ? { raw_output: state.raw_output } : {}),
    ...(state.validation_errors ? { validation_errors: state.validation_errors } : {}),
    metrics: state.metrics,
    ...(state.reflected !== undefined ? { reflected: state.reflected } : {}),
    ...(state.messages ? { messages: state.messages } : {}),
    ...(state.calls ? { calls: state.calls } : {}),
    ...(state.signal ? { signal: state.signal } : {}),
    ...(state.cancelled ? { cancelled: state.cancelled } : {}),
  };
}

export function approvalRecord(approval: ApprovalState): ApprovalRecord {
  const { kind: _kind, timeout_at: _timeoutAt, ...record } = approval;
  return record;
}
