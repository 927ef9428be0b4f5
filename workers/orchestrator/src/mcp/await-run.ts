import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { RunEvent } from "../../../../shared/contracts/records.ts";
import type { OrchestratorEnv } from "../env.ts";
import { runStub } from "../run/stub.ts";
import { openStore } from "../store/open-store.ts";
import { servedEnvelope } from "../api/routes.ts";
import { askForDecision, type HandlerExtra } from "./approval-elicitation.ts";
import { type FollowCursor, followRun, type WaitingApproval } from "./follow-run.ts";
import { endedResult, waitingResult } from "./tool-result.ts";

/** How often a wait nobody answers on this request looks whether someone decided elsewhere. */
const DECIDED_ELSEWHERE_POLL_MS = 2000;

export interface AwaitRun {
  env: OrchestratorEnv;
  runId: string;
  extra: HandlerExtra;
  /** The client declared elicitation: a waiting approval is asked through it. */
  canElicit: boolean;
  /** A wait nobody answers here is waited out (`tasks/result`); otherwise the call ends saying how to decide it. */
  blockOnWait: boolean;
  onStepSettled?: (event: RunEvent, settled: number) => Promise<void>;
}

async function isPending(env: OrchestratorEnv, approval: WaitingApproval): Promise<boolean> {
  return (await openStore(env).latestApproval(approval.run_id, approval.step_id))?.status === "pending";
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const stop = () => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener("abort", stop, { once: true });
  });
}

async function untilDecided(env: OrchestratorEnv, approval: WaitingApproval, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && (await isPending(env, approval))) await pause(DECIDED_ELSEWHERE_POLL_MS, signal);
  signal.throwIfAborted();
}

/**
 * Follows a run to its end for an MCP request and answers with its result. An approval the
 * run waits for is asked through elicitation when the client can answer, and the answer
 * decides it (as `POST …/approval/decide` does); the follow goes on after the decision.
 */
export async function awaitRun({ env, runId, extra, canElicit, blockOnWait, onStepSettled }: AwaitRun): Promise<CallToolResult> {
  let cursor: FollowCursor | undefined;
  let waitingOn: WaitingApproval | undefined;
  for (;;) {
    const outcome = await followRun(env, runId, onStepSettled ?? (async () => {}), extra.signal, cursor);
    cursor = outcome.cursor;
    // A needs_human step ends the run's stream as "needs_human" right after naming the step.
    const approval = outcome.kind === "waiting" ? outcome.approval : outcome.status === "needs_human" ? waitingOn : undefined;
    if (!approval) {
      const envelope = await servedEnvelope(env, runId);
      return envelope ? endedResult(envelope) : { content: [{ type: "text", text: `run ${runId} is not in the Store` }], isError: true };
    }
    waitingOn = approval;
    if (!(await isPending(env, approval))) continue; // decided already: its events come next
    const decision = canElicit ? await askForDecision(extra, runId, approval) : null;
    if (decision) {
      // Not retried: a decision that went through would be refused on a second try; one taken elsewhere meanwhile (409) stands.
      await runStub(env, approval.run_id).decide(approval.step_id, decision);
      continue;
    }
    if (!blockOnWait) return waitingResult(runId, approval);
    await untilDecided(env, approval, extra.signal);
  }
}
