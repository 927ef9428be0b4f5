import { MAX_HOSTS_PER_PURGE, PURGE_HOSTS_PATH, PurgeHostsRequestSchema } from "../../../shared/contracts/retention.ts";
import type { InvokeAccepted, InvokeRequest } from "../../../shared/contracts/runtime.ts";
import type { InvokeAnswer, RuntimeRpc } from "../../../shared/contracts/service-rpc.ts";
import { WorkerEntrypoint } from "cloudflare:workers";
import { CancelStepsRequestSchema } from "../../../shared/contracts/step-cancel.ts";
import { stepHostName } from "../../../shared/contracts/step-host.ts";
import type { z } from "zod";
import { createServiceApp } from "../../../shared/http/service-app.ts";
import { retryDurableObjectCall } from "../../../shared/util/durable-object-retries.ts";
import { errorMessage } from "../../../shared/util/errors.ts";
import { withStubFaults } from "../../../shared/util/test-faults.ts";
import type { RuntimeEnv } from "./env.ts";
import { acceptedStep, parseInvokeRequest } from "./invoke-request.ts";
import type { AcceptedStep } from "./step.ts";
import type { StepHost } from "./host/step-host.ts";

export { StepHost } from "./host/step-host.ts";

const app = createServiceApp<{ Bindings: RuntimeEnv }>("runtime");

// Validate, hand the step to its own host (a Durable Object per attempt), answer 202.
// The loop never runs in this request's `waitUntil`, which the platform cuts 30 s after the answer.
app.post("/invoke", async (c) => {
  const parsed = parseInvokeRequest(await c.req.text());
  // Go answers through http.Error: a JSON text with a text/plain content type.
  if (!parsed.ok) return c.text(JSON.stringify(parsed.body), 400);
  const { request, received } = parsed;
  await hostStep(c.env, { request, received });
  return c.json<InvokeAccepted>({ run_id: request.run_id, step_id: request.step_id, status: "accepted" }, 202);
});

/**
 * The host named `name` (a Durable Object per attempt, or per host key); KTSU_TEST_FAULTS applies
 * when the run is known. Every call made on a host here is safe to repeat, so each goes through
 * `retryDurableObjectCall` with a new stub per try: a start of a step the host already runs or has
 * finished is ignored, and cancel and purge only end things.
 */
function hostStub(env: RuntimeEnv, name: string, runId?: string): DurableObjectStub<StepHost> {
  const hosts = env.STEP_HOSTS;
  const stub = hosts.get(hosts.idFromName(name));
  return runId === undefined ? stub : withStubFaults(stub, runId, env.KTSU_TEST_FAULTS, name);
}

/** Hands a step to its host, which starts its loop. */
function hostStep(env: RuntimeEnv, step: AcceptedStep): Promise<void> {
  const name = stepHostName(step.request);
  return retryDurableObjectCall(() => hostStub(env, name, step.request.run_id).start(step));
}

/**
 * Hands several steps to their hosts, one call per host with all of that host's steps. Returns the
 * steps of any host that could not take them (the others run), each of which a lone dispatch to
 * that host would have failed.
 */
async function hostSteps(env: RuntimeEnv, steps: AcceptedStep[]): Promise<Set<AcceptedStep>> {
  const byHost = new Map<string, AcceptedStep[]>();
  for (const step of steps) {
    const name = stepHostName(step.request);
    const mine = byHost.get(name);
    if (mine) mine.push(step);
    else byHost.set(name, [step]);
  }
  const notTaken = new Set<AcceptedStep>();
  await Promise.all(
    [...byHost].map(async ([name, mine]) => {
      try {
        await retryDurableObjectCall(() => hostStub(env, name, mine[0]!.request.run_id).startMany(mine));
      } catch (err) {
        console.error(`runtime: host ${name} did not take ${mine.length} step(s): ${errorMessage(err)}`);
        for (const step of mine) notTaken.add(step);
      }
    }),
  );
  return notTaken;
}

/** What `invoke` refuses before a step reaches a host (the HTTP route's schema says more). */
function refusal(request: InvokeRequest): InvokeAnswer | null {
  return !request.run_id || !request.step_id || !request.callback_url ? { status: 400, message: "run_id, step_id, and callback_url are required" } : null;
}

// A cancelled run's running steps (orchestrator only, over the service binding like /invoke): each
// host aborts its call in flight and starts no other. Answered once every host has stopped.
app.post("/cancel", async (c) => {
  const body = await jsonBody(c.req.raw, CancelStepsRequestSchema);
  if (!body) return c.json({ error: "invalid_request", message: "body must be {hosts: [{run_id, step_id, attempt?, host_key?}]}" }, 400);
  const names = new Map(body.hosts.map((address) => [stepHostName(address), address.run_id]));
  await Promise.all([...names].map(([name, runId]) => retryDurableObjectCall(() => hostStub(c.env, name, runId).cancel())));
  return c.json({ cancelled: names.size }, 200);
});

// Retention: the orchestrator deleted a run and names the hosts of its step attempts; each is erased.
// Erasing a host that never existed (an attempt that ended without storing anything) changes nothing.
app.post(PURGE_HOSTS_PATH, async (c) => {
  const body = await jsonBody(c.req.raw, PurgeHostsRequestSchema);
  if (!body) return c.json({ error: "invalid_request", message: `body must be {"hosts": [string…]} with at most ${MAX_HOSTS_PER_PURGE} names` }, 400);
  await Promise.all(body.hosts.map((name) => retryDurableObjectCall(() => hostStub(c.env, name).purge())));
  return c.json({ purged: body.hosts.length }, 200);
});

/** The request's JSON body when it matches `schema`; null for one that is not JSON or does not match. */
async function jsonBody<T>(request: Request, schema: z.ZodType<T>): Promise<T | null> {
  let body: unknown;
  try {
    body = JSON.parse(await request.text());
  } catch {
    return null;
  }
  const parsed = schema.safeParse(body);
  return parsed.success ? parsed.data : null;
}

/**
 * The orchestrator's dispatch over RPC (its RUNTIME binding names this entrypoint): `invoke` does
 * what `POST /invoke` does for a request the orchestrator built from the same contract, without
 * the JSON text and the schema parse. Every other request goes to the HTTP routes.
 */
export class OrchestratorApi extends WorkerEntrypoint<RuntimeEnv> implements RuntimeRpc {
  override fetch(request: Request): Response | Promise<Response> {
    return app.fetch(request, this.env, this.ctx);
  }

  async invoke(request: InvokeRequest): Promise<InvokeAnswer> {
    const refused = refusal(request);
    if (refused) return refused;
    await hostStep(this.env, acceptedStep(request));
    return { status: 202 };
  }

  async invokeMany(requests: InvokeRequest[]): Promise<InvokeAnswer[]> {
    const refusals = requests.map(refusal);
    const steps = requests.map((request, i) => (refusals[i] ? null : acceptedStep(request)));
    const notTaken = await hostSteps(
      this.env,
      steps.filter((step) => step !== null),
    );
    return steps.map(
      (step, i) => refusals[i] ?? (step && notTaken.has(step) ? { status: 503, message: "the step's host could not take it" } : { status: 202 }),
    );
  }
}

export default app;
