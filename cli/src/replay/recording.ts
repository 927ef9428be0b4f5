// What a replay reads from a recorded run and what `ktsu replay --save` keeps as a test case:
// the workflow, its input, and per step (of the run and of its sub-runs) the status, the
// output and the agent's conversation, from which every LLM reply and tool result is served.

import type { StepRecord } from "../../../shared/contracts/records.ts";
import type { ChatMessage, ToolCall } from "../../../shared/contracts/runtime.ts";
import { ApiError, type OrchestratorClient } from "../client/orchestrator.ts";
import { recordedCall, recordedItems } from "./items.ts";

/** One model reply written by hand in a test case (a recorded run keeps whole conversations instead). */
export interface HandReply {
  /** The reply's text; an object is sent as its JSON. */
  content?: string | Record<string, unknown>;
  tool_calls?: { id?: string; name: string; arguments?: Record<string, unknown> }[];
}

export interface RecordedStep {
  /** The sub-run the step belongs to, as step ids below the root run ("" = the root run, "file" = the run of its step `file`). */
  run: string;
  /** The step id (a fanout item's: `<step>.<index>`). */
  id: string;
  type?: StepRecord["type"];
  status?: string;
  output?: Record<string, unknown>;
  error?: string;
  /** `<provider>/<model>` that answered the step's last LLM call. */
  model?: string;
  /** The agent's conversation: the requests replayed are checked against it, its replies and tool results are served. */
  messages?: ChatMessage[];
  /** Hand-written replies, in turn order (used when `messages` is absent). */
  replies?: (HandReply | string)[];
  /** Hand-written tool results by tool name (used when `messages` is absent). */
  tool_results?: Record<string, string>;
  /** A webhook step's recorded answer (default 200). */
  status_code?: number;
  /** A fanout item: its index (its `id` is `<step>.<index>`). */
  item?: number;
  /**
   * A fanout item's LLM and tool calls (it keeps no `messages`): each LLM call's request
   * fingerprint and model, the replies and tool results the replay serves.
   */
  calls?: RecordedCall[];
  /** Set on an item answered from its recorded output: the recording has nothing to check its requests against. */
  unchecked?: true;
}

/** One call of a fanout item, as its replay needs it (shared/replay/call-record.ts keeps them bounded). */
export type RecordedCall =
  | { kind: "llm"; model?: string; prompt?: string; reply?: { content: string; tool_calls?: ToolCall[] }; error?: string }
  | { kind: "tool"; tool: string; result?: string };

export interface Recording {
  workflow: string;
  input: Record<string, unknown>;
  /** The recorded run (absent in hand-written cases). */
  run_id?: string;
  status?: string;
  error?: string;
  steps: RecordedStep[];
}

const SETTLED = new Set(["complete", "failed", "skipped", "needs_human", "pending_approval"]);

function recordedStep(run: string, step: StepRecord): RecordedStep {
  const recorded: RecordedStep = { run, id: step.id, type: step.type, status: step.status };
  if (step.output) recorded.output = step.output;
  if (step.error) recorded.error = step.error;
  if (step.metrics.model_resolved) recorded.model = step.metrics.model_resolved;
  if (step.messages && step.messages.length > 0) recorded.messages = step.messages;
  // A conversation too large for the step's record: its calls' fingerprints and replies stand in.
  else if (step.calls?.some((call) => call.kind === "llm" && call.prompt !== undefined)) recorded.calls = step.calls.map(recordedCall);
  if (step.type === "webhook" && typeof step.output?.status_code === "number") recorded.status_code = step.output.status_code;
  return recorded;
}

/** The run path of a run id: the step ids after the root's id (`run_x/file/inner` → `file/inner`). */
export function runPathOf(runId: string): string {
  const slash = runId.indexOf("/");
  return slash < 0 ? "" : runId.slice(slash + 1);
}

/**
 * Reads a run, its steps and the steps of its sub-runs (in execution order) from an
 * orchestrator; `items`: with each fanout step's items after it (what a replay answers them from).
 */
export async function loadRecording(client: OrchestratorClient, runId: string, options: { items?: boolean } = {}): Promise<Recording> {
  const detail = await client.getRun(runId);
  const recording: Recording = {
    workflow: detail.run.workflow_name,
    input: detail.run.payload ?? {},
    run_id: detail.run.id,
    status: detail.run.status,
    ...(detail.run.error ? { error: detail.run.error } : {}),
    steps: [],
  };
  await collectSteps(client, detail.run.id, detail.steps ?? [], recording.steps, options.items === true);
  return recording;
}

async function collectSteps(client: OrchestratorClient, runId: string, steps: StepRecord[], into: RecordedStep[], items: boolean): Promise<void> {
  const path = runPathOf(runId);
  for (const step of [...steps].sort((a, b) => a.seq - b.seq)) {
    if (!SETTLED.has(step.status)) continue;
    into.push(recordedStep(path, step));
    if (items && step.type === "agent" && step.status !== "skipped") into.push(...(await recordedItems(client, runId, path, step.id)));
    if (step.type !== "workflow" || step.status === "skipped") continue;
    const subRunId = `${runId}/${step.id}`;
    try {
      const sub = await client.getRun(subRunId);
      await collectSteps(client, subRunId, sub.steps ?? [], into, items);
    } catch (error) {
      // A sub-workflow step that failed before its run was admitted has no sub-run.
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  }
}

/** `run` and `id` as one printable name: `classify`, `file/entry`. */
export function stepName(step: Pick<RecordedStep, "run" | "id">): string {
  return step.run === "" ? step.id : `${step.run}/${step.id}`;
}
