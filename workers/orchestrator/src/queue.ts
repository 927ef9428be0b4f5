import type { CompiledWorkflow } from "../../../shared/bundle.ts";
import { isPlainObject } from "../../../shared/util/objects.ts";
import type { OrchestratorEnv } from "./env.ts";
import { claimFor, keyReusedMessage, runIdForKey } from "./idempotency.ts";
import { checkParams, findInvocable, isRefusal, rootRun } from "./run/admission.ts";
import { runTraceFrom } from "../../../shared/otel/trace-context.ts";
import { retryDurableObjectCall } from "../../../shared/util/durable-object-retries.ts";
import { runStub } from "./run/stub.ts";
import { openStore } from "./store/open-store.ts";
import type { Store } from "./store/store.ts";

/** A queue message that starts a run. */
export interface RunMessage {
  workflow: string;
  params?: Record<string, unknown>;
  run_id?: string;
  idempotency_key?: string;
  /** The producer's W3C trace context: the run's delivery span is its child. */
  traceparent?: string;
}

const RUN_ID = /^run_[0-9a-f]{16}$/;

/**
 * Queue-triggered runs: the same admission as `POST /invoke` (minus invoke
 * auth: the queue is internal). The run id is the message's `run_id` (POST
 * /enqueue gives one, having claimed its key), else derived from the workflow and
 * the idempotency key (or the message id), so a redelivered message never
 * creates a second run. A key is claimed with a hash of the params: the same key
 * with other params is refused. Invalid or refused messages are acknowledged and
 * recorded as a failed run, never retried.
 */
export async function consumeRunMessages(batch: MessageBatch<unknown>, env: OrchestratorEnv): Promise<void> {
  const store = openStore(env);
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
  const given = isPlainObject(body) && typeof body.idempotency_key === "string" && body.idempotency_key !== "" ? body.idempotency_key : null;
  const key = given ?? `queue:${message.id}`;
  const workflowName = isPlainObject(body) && typeof body.workflow === "string" ? body.workflow : "";
  const runId = isPlainObject(body) && typeof body.run_id === "string" && RUN_ID.test(body.run_id) ? body.run_id : null;
  const metadata = { source: "queue", message_id: message.id };
  const trace = runTraceFrom(isPlainObject(body) && typeof body.traceparent === "string" ? body.traceparent : null);
  const fail = async (id: string, reason: string) => {
    const at = new Date().toISOString();
    await store.createRun(
      {
        id,
        workflow_name: workflowName || "(unknown)",
        status: "failed",
        error: `queue message rejected: ${reason}`,
        metadata,
        created_at: at,
        updated_at: at,
      },
      key,
    );
  };

  const admitted = admit(body);
  if (typeof admitted === "string") return fail(runId ?? (await runIdForKey({ workflow: workflowName, key })), admitted);
  const { workflow, params } = admitted;
  if (runId) return startRun(env, workflow, runId, params, { metadata, idempotency_key: key, trace });
  if (!given) return startRun(env, workflow, await runIdForKey({ workflow: workflowName, key }), params, { metadata, idempotency_key: key, trace });

  const claim = await claimFor({ workflow: workflowName, key }, params);
  const stored = await store.claimIdempotencyKey(claim);
  if (stored.bodyHash === claim.bodyHash) return startRun(env, workflow, stored.runId, params, { metadata, idempotency_key: key, trace });
  // The key names another run already: this message's own failure record takes an id of its own.
  return fail(await runIdForKey({ workflow: workflowName, key: `queue:${message.id}` }), keyReusedMessage(key));
}

async function startRun(
  env: OrchestratorEnv,
  workflow: CompiledWorkflow,
  runId: string,
  params: Record<string, unknown>,
  extra: Parameters<typeof rootRun>[3],
): Promise<void> {
  const start = rootRun(workflow, runId, params, extra);
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
