import type { CompiledWorkflow } from "../../../shared/bundle.ts";
import { isPlainObject } from "../../../shared/util/objects.ts";
import type { OrchestratorEnv } from "./env.ts";
import { checkParams, findInvocable, isRefusal, rootRun, runIdFor } from "./run/admission.ts";
import { retryDurableObjectCall } from "../../../shared/util/durable-object-retries.ts";
import { runStub } from "./run/stub.ts";
import { Store } from "./store/store.ts";

/** A queue message that starts a run. */
export interface RunMessage {
  workflow: string;
  params?: Record<string, unknown>;
  run_id?: string;
  idempotency_key?: string;
}

const RUN_ID = /^run_[0-9a-f]{16}$/;

/**
 * Queue-triggered runs: the same admission as `POST /invoke` (minus invoke
 * auth: the queue is internal). The run id is derived from the idempotency key
 * (or the message id), so a redelivered message never creates a second run.
 * Invalid messages are acknowledged and recorded as a failed run, never retried.
 */
export async function consumeRunMessages(batch: MessageBatch<unknown>, env: OrchestratorEnv): Promise<void> {
  const store = new Store(env.DB);
  for (const message of batch.messages) {
    try {
      await startFromMessage(message, env, store);
      message.ack();
    } catch (err) {
      console.error(`queue message ${message.id}: will retry`, err);
      message.retry();
    }
  }
}

async function startFromMessage(message: Message<unknown>, env: OrchestratorEnv, store: Store): Promise<void> {
  const body = message.body;
  const key = isPlainObject(body) && typeof body.idempotency_key === "string" && body.idempotency_key !== "" ? body.idempotency_key : `queue:${message.id}`;
  const runId = isPlainObject(body) && typeof body.run_id === "string" && RUN_ID.test(body.run_id) ? body.run_id : await runIdFor(key);
  const metadata = { source: "queue", message_id: message.id };

  const admitted = admit(body);
  if (typeof admitted === "string") {
    const at = new Date().toISOString();
    const workflowName = isPlainObject(body) && typeof body.workflow === "string" ? body.workflow : "(unknown)";
    await store.createRun(
      { id: runId, workflow_name: workflowName, status: "failed", error: `queue message rejected: ${admitted}`, metadata, created_at: at, updated_at: at },
      key,
    );
    return;
  }
  const { workflow, params } = admitted;
  const start = rootRun(workflow, runId, params, { metadata, idempotency_key: key });
  await retryDurableObjectCall(() => runStub(env, runId).start(start)); // idempotent by run id
}

/** The workflow and params a message starts, or why it is refused (the same checks as `POST /invoke`). */
function admit(body: unknown): string | { workflow: CompiledWorkflow; params: Record<string, unknown> } {
  if (!isPlainObject(body)) return "message must be a JSON object";
  if (typeof body.workflow !== "string" || body.workflow === "") return 'message field "workflow" must be a non-empty string';
  if (body.params !== undefined && !isPlainObject(body.params)) return 'message field "params" must be a JSON object';
  if (body.run_id !== undefined && (typeof body.run_id !== "string" || !RUN_ID.test(body.run_id))) {
    return 'message field "run_id" must look like run_<16 hex>';
  }
  const workflow = findInvocable(body.workflow);
  if (isRefusal(workflow)) return workflow.message;
  const params = (body.params ?? {}) as Record<string, unknown>;
  const invalid = checkParams(workflow, params);
  return invalid ? invalid.message : { workflow, params };
}
