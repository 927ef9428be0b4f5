import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { ElicitResultSchema, type ServerNotification, type ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Decision } from "../run/steps/approvals.ts";
import type { WaitingApproval } from "./follow-run.ts";
import { describeApproval } from "./tool-result.ts";

export type HandlerExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A person may take a while to answer; the SDK's default (60 s) would give up on them. */
const ANSWER_WAIT_MS = 60 * 60 * 1000;

const DECISION_SCHEMA: {
  type: "object";
  properties: Record<string, { type: "string"; title: string; description: string; enum: string[] }>;
  required: string[];
} = {
  type: "object",
  properties: {
    decision: {
      type: "string",
      title: "Decision",
      description: "approved lets the step go on; rejected applies the step's on_reject",
      enum: ["approved", "rejected"],
    },
  },
  required: ["decision"],
};

/**
 * Asks the client's user to decide a waiting approval (`elicitation/create`, on the stream of
 * the request that waits for the run). Accepting with a decision decides it; declining rejects;
 * cancelling, or a client that cannot answer, decides nothing (null): the approval stays
 * pending for the CLI or the API.
 */
export async function askForDecision(extra: HandlerExtra, rootRunId: string, approval: WaitingApproval): Promise<Decision | null> {
  const message = `Run ${rootRunId} is waiting for approval: ${describeApproval(approval)}. Approve or reject?`;
  try {
    const answer = await extra.sendRequest(
      { method: "elicitation/create", params: { mode: "form", message, requestedSchema: DECISION_SCHEMA } },
      ElicitResultSchema,
      { timeout: ANSWER_WAIT_MS },
    );
    if (answer.action === "decline") return "rejected";
    const decision = answer.action === "accept" ? answer.content?.decision : undefined;
    return decision === "approved" || decision === "rejected" ? decision : null;
  } catch {
    return null;
  }
}
