import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Envelope } from "../../../../shared/contracts/records.ts";
import type { WaitingApproval } from "./follow-run.ts";
import { outputContent } from "./output-content.ts";

function result(structured: Record<string, unknown>, text: string, isError = false): CallToolResult {
  return { content: [{ type: "text", text }], structuredContent: structured, ...(isError ? { isError: true } : {}) };
}

/** The workflow's output: the last completed step's output, as a sub-workflow without `output.map` hands to its parent. */
function lastOutput(envelope: Envelope): Record<string, unknown> {
  const completed = (envelope.steps ?? []).filter((step) => step.status === "complete");
  return completed.at(-1)?.output ?? {};
}

/** A run that ended: its output when it completed, its (masked) error otherwise. */
export function endedResult(envelope: Envelope): CallToolResult {
  if (envelope.status === "complete") {
    const structured = { run_id: envelope.run_id, status: "complete", output: lastOutput(envelope) };
    const content = outputContent(structured.output);
    return content ? { content, structuredContent: structured } : result(structured, JSON.stringify(structured.output));
  }
  const status = envelope.status ?? "unknown";
  const error = envelope.error ?? `the run ended ${status}`;
  return result({ run_id: envelope.run_id, status, error }, `run ${envelope.run_id} ended ${status}: ${error}`, true);
}

/** What waits for a decision, in words. */
export function describeApproval(approval: WaitingApproval): string {
  if (!approval.tool_name) return `step "${approval.step_id}" waits for a human decision`;
  if (approval.tool_name === "ktsu_needs_human") return `step "${approval.step_id}" asked for a human`;
  return `step "${approval.step_id}" wants to call ${approval.tool_name} with ${JSON.stringify(approval.arguments ?? {})}`;
}

/** How to decide an approval outside MCP: the CLI, or the API with the admin token. */
export function howToDecide(approval: WaitingApproval): string {
  const path = `/runs/${approval.run_id}/steps/${approval.step_id}/approval/decide`;
  return (
    `Approve with \`ktsu approve ${approval.run_id} ${approval.step_id}\` (reject: \`ktsu reject ${approval.run_id} ${approval.step_id}\`), ` +
    `or POST ${path} with {"decision":"approved"} or {"decision":"rejected"} and the admin token.`
  );
}

/** A run waiting for a person: what to decide and how (the CLI, or the API with the admin token). */
export function waitingResult(rootRunId: string, approval: WaitingApproval): CallToolResult {
  const path = `/runs/${approval.run_id}/steps/${approval.step_id}/approval/decide`;
  const what = describeApproval(approval);
  const text =
    `Run ${rootRunId} is waiting for approval: ${what}. ${howToDecide(approval)} ` +
    `The run goes on after the decision; its result is at GET /runs/${rootRunId}/envelope.`;
  const structured = {
    run_id: rootRunId,
    status: "waiting_for_approval",
    approval: { ...approval, decide: { method: "POST", path, body: { decision: "approved | rejected" } } },
  };
  return result(structured, text);
}
