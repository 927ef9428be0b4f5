// What `ktsu invoke --wait` prints while it follows a run's events: one line per
// step as it settles, approvals with the commands that decide them, and the
// state the command needs to pick its exit code.

import type { RunEventType } from "../../../shared/contracts/events.ts";
import type { RunEvent } from "../../../shared/contracts/records.ts";
import { compactJson, shellQuote, shortDuration, usd } from "./format.ts";
import { plain, type Style } from "./style.ts";

export type RunOutcome = "complete" | "failed" | "needs_human" | "cancelled";

export interface PendingDecision {
  stepId: string;
  tool: string;
  arguments: unknown;
  /** A `ktsu_needs_human` halt rather than a gated tool call. */
  human: boolean;
}

export interface ProgressOptions {
  runId: string;
  /** Extra arguments the printed approve/reject commands need, e.g. ["--orchestrator", url]. */
  commandArgs?: readonly string[];
  style?: Style;
}

type SettledStatus = "complete" | "failed" | "skipped" | "cancelled" | "needs_human";

/**
 * Every event type: the step status it settles a step with, or null when it settles none (the
 * switch in `onEvent` prints those). Keyed on `RunEventType`, so a new event type fails the
 * typecheck here until the CLI knows what to print for it.
 */
const SETTLES: Readonly<Record<RunEventType, SettledStatus | null>> = {
  run_started: null,
  step_started: null,
  step_completed: "complete",
  step_skipped: "skipped",
  step_failed: "failed",
  step_cancelled: "cancelled",
  step_needs_human: "needs_human",
  step_redispatched: null,
  approval_pending: null,
  approval_decided: null,
  approval_timed_out: null,
  run_resumed: null,
  run_needs_human: null,
  run_completed: null,
  run_failed: null,
  run_cancelled: null,
};

const SYMBOL: Record<SettledStatus, [string, "green" | "red" | "yellow" | "gray"]> = {
  complete: ["✔", "green"],
  failed: ["✖", "red"],
  skipped: ["↷", "yellow"],
  cancelled: ["■", "gray"],
  needs_human: ["?", "yellow"],
};

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Follows one run's events and turns them into output lines. */
export class RunProgress {
  readonly runId: string;
  /** Steps started and not settled yet, with the time they started. */
  readonly running = new Map<string, number>();
  /** Approvals (or needs_human halts) waiting for a decision, by step. */
  readonly pending = new Map<string, PendingDecision>();
  outcome: RunOutcome | undefined;
  error: string | undefined;
  startedAt: string | undefined;
  endedAt: string | undefined;
  settledSteps = 0;
  costUsd = 0;
  /** The highest event sequence number seen. */
  lastSeq = 0;
  private readonly commandArgs: readonly string[];
  private readonly style: Style;

  constructor(options: ProgressOptions) {
    this.runId = options.runId;
    this.commandArgs = options.commandArgs ?? [];
    this.style = options.style ?? plain;
  }

  /** Whether the run is waiting on a human (a pending approval or a needs_human halt). */
  get waitingOnHuman(): boolean {
    return this.pending.size > 0 || this.outcome === "needs_human";
  }

  /** The lines this event prints (possibly none). */
  onEvent(event: RunEvent): string[] {
    if (typeof event.seq === "number" && event.seq > this.lastSeq) this.lastSeq = event.seq;
    const data = event.data ?? {};
    const step = event.step_id ?? "";
    // An event forwarded from a sub-workflow names the sub-run and step that wait for the decision.
    const sub = typeof data.sub_run_id === "string" ? { run: data.sub_run_id, step: str(data.sub_step_id) ?? step } : undefined;
    if (sub && event.type === "step_needs_human") {
      this.pending.set(step, { stepId: step, tool: "ktsu_needs_human", arguments: undefined, human: true });
      return this.decisionLines(sub.step, `step ${step}: sub-run ${sub.run} step ${sub.step} asks for a human review (ktsu_needs_human)`, sub.run);
    }
    const settled = SETTLES[event.type];
    if (settled) {
      this.running.delete(step);
      this.settledSteps += settled === "needs_human" ? 0 : 1;
      this.costUsd += num(data.cost_usd) ?? 0;
      const lines = [this.stepLine(step, settled, data)];
      if (settled === "needs_human") {
        this.pending.set(step, { stepId: step, tool: "ktsu_needs_human", arguments: undefined, human: true });
        lines.push(...this.decisionLines(step, `step ${step} asks for a human review (ktsu_needs_human)`));
      }
      return lines;
    }
    switch (event.type) {
      case "run_started":
        this.startedAt = event.created_at;
        return [];
      case "step_started":
        this.running.set(step, Date.now()); // the local clock: the server's may differ
        return [];
      case "step_redispatched": {
        const attempt = num(data.attempt);
        const turn = num(data.from_turn);
        return [`step ${step} re-dispatched${attempt !== undefined ? ` (attempt ${attempt}${turn !== undefined ? `, from turn ${turn}` : ""})` : ""}`];
      }
      case "approval_pending": {
        const tool = str(data.tool_name) ?? "(unknown tool)";
        this.pending.set(step, { stepId: step, tool, arguments: data.arguments, human: false });
        const args = data.arguments === undefined ? "" : ` ${compactJson(data.arguments, 160)}`;
        if (sub)
          return this.decisionLines(sub.step, `approval pending: step ${step} (sub-run ${sub.run}, step ${sub.step}) wants to call ${tool}${args}`, sub.run);
        return this.decisionLines(step, `approval pending: step ${step} wants to call ${tool}${args}`);
      }
      case "approval_decided": {
        this.pending.delete(step);
        const decision = str(data.decision) ?? "decided";
        const paint = decision === "approved" ? "green" : "red";
        return [`${this.style.paint(paint, `approval ${decision}`)}: step ${step}${str(data.tool_name) ? ` (${data.tool_name})` : ""}`];
      }
      case "approval_timed_out":
        this.pending.delete(step);
        return [`${this.style.paint("red", "approval timed out")}: step ${step}${str(data.tool_name) ? ` (${data.tool_name})` : ""}`];
      case "run_resumed":
        this.pending.delete(step);
        if (this.outcome === "needs_human") this.outcome = undefined;
        this.error = undefined;
        return [`run resumed${step ? ` (step ${step} approved)` : ""}`];
      case "run_needs_human":
        this.outcome = "needs_human";
        this.error = str(data.error);
        return [
          `${this.style.paint("yellow", "run halted")}: waiting for a human decision${this.pending.size > 0 ? ` on ${[...this.pending.keys()].join(", ")}` : ""}`,
        ];
      case "run_completed":
        this.outcome = "complete";
        this.endedAt = event.created_at;
        return [];
      case "run_failed":
        this.outcome = "failed";
        this.error = str(data.error);
        this.endedAt = event.created_at;
        return [];
      case "run_cancelled":
        this.outcome = "cancelled";
        this.error = str(data.error);
        this.endedAt = event.created_at;
        return [];
      case "step_completed":
      case "step_skipped":
      case "step_failed":
      case "step_cancelled":
      case "step_needs_human":
        return []; // printed above, from SETTLES
      default:
        // Every known type has a case (a new one fails the typecheck here); an unknown one prints nothing.
        return ignore(event.type);
    }
  }

  /** The spinner's text at `now` (ms). */
  spinnerText(now: number): string {
    if (this.pending.size > 0) return `waiting for a decision on ${[...this.pending.keys()].join(", ")} (ktsu approvals)`;
    if (this.running.size === 0) return "waiting for the run";
    const parts = [...this.running].map(([id, since]) => `${id} ${shortDuration(now - since)}`);
    return `running ${parts.join(", ")}`;
  }

  /** `ktsu approve RUN STEP [extra]` with shell quoting. */
  command(verb: "approve" | "reject", stepId: string, runId: string = this.runId): string {
    return ["ktsu", verb, runId, stepId, ...this.commandArgs].map(shellQuote).join(" ");
  }

  private decisionLines(step: string, headline: string, runId: string = this.runId): string[] {
    return [this.style.paint("yellow", headline), `  approve: ${this.command("approve", step, runId)}`, `  reject:  ${this.command("reject", step, runId)}`];
  }

  private stepLine(step: string, status: SettledStatus, data: Record<string, unknown>): string {
    const executed = status !== "skipped" && status !== "cancelled";
    const duration = executed ? shortDuration(num(data.duration_ms)) : "-";
    const cost = executed ? usd(num(data.cost_usd)) : "-";
    const error = str(data.error);
    const [symbol, color] = SYMBOL[status];
    const head = this.style.enabled ? `${this.style.paint(color, symbol)} ` : "step ";
    const statusText = this.style.paint(color, status.padEnd(11));
    const line = `${head}${step.padEnd(16)}  ${statusText}  ${duration.padStart(8)}  ${cost}`;
    return error && status !== "needs_human" ? `${line}  ${this.style.paint("red", `error: ${error}`)}` : line.trimEnd();
  }
}

/** The `default` of an exhaustive switch: only an event type no case names reaches it. */
function ignore(_type: never): string[] {
  return [];
}
