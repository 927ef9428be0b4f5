// A pipeline test case (a file under a project's tests/, YAML or JSON): a workflow, its input,
// the recorded model and tool replies, and assertions on what the run produced. `ktsu replay
// --save` writes one from a recorded run; they can also be written by hand.

import { readFileSync } from "node:fs";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { Recording, RecordedStep } from "../replay/recording.ts";
import { stepName } from "../replay/recording.ts";

/** One assertion: a JMESPath expression over the result, and what its value must equal or conform to. */
export interface Assertion {
  expect: string;
  equals?: unknown;
  schema?: Record<string, unknown>;
}

export interface TestCase {
  /** Optional; defaults to the file name. */
  name?: string;
  workflow: string;
  input?: Record<string, unknown>;
  /** The recorded steps: model replies (whole conversations or hand-written replies), tool results, webhook answers. */
  steps?: RecordedStep[];
  assert?: Assertion[];
}

export class CaseError extends Error {}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function parseCase(file: string): TestCase {
  const text = readFileSync(file, "utf8");
  let value: unknown;
  try {
    value = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new CaseError(`${file}: not valid ${/\.json$/i.test(file) ? "JSON" : "YAML"}: ${(error as Error).message}`);
  }
  if (!isObject(value) || typeof value.workflow !== "string") throw new CaseError(`${file}: a test case needs "workflow" (the workflow to run)`);
  if (value.input !== undefined && !isObject(value.input)) throw new CaseError(`${file}: "input" must be an object`);
  if (value.steps !== undefined && !Array.isArray(value.steps)) throw new CaseError(`${file}: "steps" must be a list`);
  for (const [i, a] of ((value.assert as unknown[]) ?? []).entries()) {
    if (!isObject(a) || typeof a.expect !== "string") throw new CaseError(`${file}: assert[${i}] needs "expect" (a JMESPath expression)`);
    if (!("equals" in a) && !isObject(a.schema)) throw new CaseError(`${file}: assert[${i}] needs "equals" or "schema"`);
  }
  const steps = ((value.steps as Partial<RecordedStep>[] | undefined) ?? []).map((s) => ({ ...s, run: s.run ?? "", id: String(s.id ?? "") }));
  return { ...(value as unknown as TestCase), steps };
}

/** The case's recording, as the replay server serves it. */
export function caseRecording(testCase: TestCase): Recording {
  return { workflow: testCase.workflow, input: testCase.input ?? {}, steps: testCase.steps ?? [] };
}

/**
 * What assertions read: `status`, `error`, `input`, `output` (the last completed root step's),
 * `steps.<id>` (sub-runs' as `"file/entry"`) and `pending_approval` (the steps waiting on a human).
 */
export function resultDocument(run: Recording): Record<string, unknown> {
  const completed = run.steps.filter((s) => s.run === "" && s.status === "complete");
  return {
    status: run.status ?? null,
    error: run.error ?? null,
    input: run.input,
    output: completed.at(-1)?.output ?? null,
    steps: Object.fromEntries(run.steps.filter((s) => s.item === undefined).map((s) => [stepName(s), s.output ?? null])),
    pending_approval: run.steps.filter((s) => s.status === "pending_approval").map(stepName),
  };
}

/** A test case from a recorded run: its replies, and assertions that the status and every root step's output stay as recorded. */
export function caseFromRecording(recording: Recording): TestCase {
  const assertions: Assertion[] = [{ expect: "status", equals: recording.status ?? "complete" }];
  for (const step of recording.steps) {
    // A fanout item's output is asserted as part of its step's `results`.
    if (step.run !== "" || step.output === undefined || step.item !== undefined) continue;
    assertions.push({ expect: `steps.${JSON.stringify(step.id)}`, equals: step.output });
  }
  return {
    ...(recording.run_id ? { name: `replay of ${recording.run_id}` } : {}),
    workflow: recording.workflow,
    input: recording.input,
    steps: recording.steps,
    assert: assertions,
  };
}

export function serializeCase(testCase: TestCase, file: string): string {
  return /\.json$/i.test(file) ? `${JSON.stringify(testCase, null, 2)}\n` : stringifyYaml(testCase, { lineWidth: 0 });
}
