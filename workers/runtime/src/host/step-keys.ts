// Where a host keeps each of its steps in its storage. A host may run several steps of one run
// (a fanout's items share hosts), so every key carries the step: its id and attempt, encoded so
// that no step's prefix is another's.
import type { AcceptedStep } from "../step.ts";

/** One step attempt within a host. */
export type StepKey = string;

export function stepKey(step: AcceptedStep): StepKey {
  return `${encodeURIComponent(step.request.step_id)}@${step.request.attempt ?? 0}`;
}

/** The accepted request of a durable step; listing this prefix finds every step the host must beat for and resume. */
export const STEP_PREFIX = "step:";

export const RESULT_PREFIX = "result:";

/** The host's steps were cancelled with their run: nothing runs here any more. */
export const CANCELLED_KEY = "cancelled";

export const stepKeys = {
  step: (key: StepKey) => `${STEP_PREFIX}${key}`,
  checkpoint: (key: StepKey) => `checkpoint:${key}`,
  /** A result whose callback was not delivered yet; listing `RESULT_PREFIX` finds them all. */
  result: (key: StepKey) => `${RESULT_PREFIX}${key}`,
  /** Tool calls the step started: `started:<step>/<call id>`. */
  startedPrefix: (key: StepKey) => `started:${key}/`,
  /** Left behind when the step is done, so a repeated start of the same attempt does not run it again. */
  finished: (key: StepKey) => `finished:${key}`,
};
