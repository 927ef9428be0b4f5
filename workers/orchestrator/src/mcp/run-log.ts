import type { CallToolResult, LoggingLevel, ServerNotification } from "@modelcontextprotocol/sdk/types.js";
import type { RunEvent } from "../../../../shared/contracts/records.ts";

type SendNotification = (notification: ServerNotification) => Promise<void>;

const LOGGER = "kimitsu";

function stepLevel(type: string): LoggingLevel {
  if (type === "step_failed") return "error";
  if (type === "step_cancelled") return "warning";
  return "info";
}

/**
 * A call's log messages (`notifications/message`, the MCP logging utility): the run that
 * started, each step as it settles and how the run ended, sent on the call's own stream so a
 * client sees the run's course as it happens. They go out whatever level the client set with
 * `logging/setLevel`: a call may be served without a session, where no earlier request's
 * level is known, so every call logs alike.
 */
export function runLog(send: SendNotification) {
  const log = (level: LoggingLevel, data: string) => send({ method: "notifications/message", params: { level, logger: LOGGER, data } });
  return {
    started: (runId: string, workflow: string) => log("info", `run ${runId} of workflow "${workflow}" started`),
    stepSettled: (event: RunEvent) => log(stepLevel(event.type), `step ${event.step_id ?? "?"} ${event.type.replace(/^step_/, "")}`),
    ended: (runId: string, result: CallToolResult) => {
      const { status, approval } = (result.structuredContent ?? {}) as { status?: string; approval?: { step_id?: string } };
      return status === "waiting_for_approval"
        ? log("notice", `run ${runId} waits for approval of step ${approval?.step_id ?? "?"}`)
        : log(status === "complete" ? "info" : "error", `run ${runId} ended ${status ?? "without a status"}`);
    },
  };
}
