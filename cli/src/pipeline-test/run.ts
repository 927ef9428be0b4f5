// `ktsu test` as a function: every case under a project's tests/ folder, replayed one after
// the other on one local stack started for them, each checked against its assertions.

import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { errorMessage } from "../../../shared/util/errors.ts";
import { describeMismatch } from "../replay/request-check.ts";
import { startReplayStack, type ReplayStackOptions } from "../replay/local-stack.ts";
import { checkAssertion } from "./assert.ts";
import { caseRecording, parseCase, resultDocument, type TestCase } from "./case.ts";

export interface CaseResult {
  /** Relative to the project. */
  file: string;
  name: string;
  failures: string[];
}

const CASE_FILE = /\.(ya?ml|json)$/i;

/** The case files under `<project>/tests`, depth first, in name order. */
export function findCaseFiles(projectDir: string): string[] {
  const root = path.join(projectDir, "tests");
  const found: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) visit(full);
      else if (CASE_FILE.test(entry)) found.push(full);
    }
  };
  if (statSync(root, { throwIfNoEntry: false })?.isDirectory()) visit(root);
  return found;
}

async function runCase(stack: Awaited<ReturnType<typeof startReplayStack>>, testCase: TestCase): Promise<string[]> {
  const outcome = await stack.replay(caseRecording(testCase));
  const failures: string[] = [];
  for (const [step, mismatch] of outcome.mismatches) failures.push(`step ${step}: ${describeMismatch(mismatch)}`);
  for (const item of outcome.unanswered) failures.push(`not in the recording: ${item}`);
  const result = resultDocument(outcome.replayed);
  for (const [i, assertion] of (testCase.assert ?? []).entries()) {
    const lines = checkAssertion(assertion, result);
    if (lines.length > 0) failures.push(`assert[${i}] ${lines[0]}`, ...lines.slice(1));
  }
  if (failures.length > 0 && result.status !== "complete") {
    const failed = outcome.replayed.steps.filter((s) => s.error).map((s) => `step ${s.id}: ${s.error}`);
    failures.push(`the run ended ${String(result.status)}${result.error ? `: ${String(result.error)}` : ""}`, ...failed.map((line) => `  ${line}`));
  }
  return failures;
}

export async function runPipelineTests(options: ReplayStackOptions, onResult: (result: CaseResult) => void = () => {}): Promise<CaseResult[]> {
  const files = findCaseFiles(options.projectDir);
  if (files.length === 0) return [];
  const results: CaseResult[] = [];
  const report = (result: CaseResult) => {
    results.push(result);
    onResult(result);
  };
  const stack = await startReplayStack(options);
  try {
    for (const file of files) {
      const relative = path.relative(options.projectDir, file);
      let testCase: TestCase;
      try {
        testCase = parseCase(file);
      } catch (error) {
        report({ file: relative, name: path.basename(file), failures: [errorMessage(error)] });
        continue;
      }
      const name = testCase.name ?? path.basename(file).replace(CASE_FILE, "");
      try {
        report({ file: relative, name, failures: await runCase(stack, testCase) });
      } catch (error) {
        report({ file: relative, name, failures: [`could not run: ${errorMessage(error)}`] });
      }
    }
  } finally {
    await stack.dispose();
  }
  return results;
}
