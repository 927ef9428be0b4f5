import { project } from "ktsu-project";
import type { CompiledAgentStep, CompiledStep, CompiledWebhookStep, CompiledWorkflowStep } from "../../../../shared/bundle.ts";
import type { StepMetrics } from "../../../../shared/contracts/metrics.ts";
import { callbackPath, type CallbackPayload, type ChatMessage, type InvokeRequest } from "../../../../shared/contracts/runtime.ts";
import type { ValidationFailure } from "../../../../shared/contracts/records.ts";
import {
  evaluate,
  evaluateCondition,
  goTypeName,
  stringForm,
  wholeTemplateExpression,
  type JsonObject,
  type JsonValue,
} from "../../../../shared/expr/index.ts";
import { buildInvokeRequest, DispatchError, type EnvLookup } from "../engine/agent-request.ts";
import {
  aggregateFanout,
  buildExprContext,
  buildFanoutItemContext,
  fanoutConcurrency,
  processReservedFields,
  runTransform,
  selectFanoutItems,
  addMetrics,
  sumMetrics,
  type ExprContextSources,
} from "../engine/semantics.ts";
import { jsonBytes, MAX_MESSAGES_BYTES, MAX_RAW_OUTPUT_CHARS, truncate } from "../engine/limits.ts";
import { openApproval } from "./approvals.ts";
import type { OrchestratorEnv } from "../env.ts";
import type { ChildResult, RunDO } from "./run-do.ts";
import { ZERO_METRICS, type ItemState, type StepState } from "./model.ts";
import { runStub } from "./stub.ts";
import { sendWebhook } from "./webhook.ts";

/** What executing a step produced. `waiting` means the result arrives later (callback, child run, webhook). */
export type StepOutcome =
  | { kind: "output"; output: Record<string, unknown> | null; metrics?: StepMetrics; reflected?: boolean }
  | { kind: "skipped"; context: unknown; metrics?: StepMetrics }
  | { kind: "failed"; error: string; metrics?: StepMetrics; details?: { raw_output?: string; validation_errors?: ValidationFailure[] } }
  | { kind: "waiting"; metrics?: StepMetrics };

const CONDITION_FALSE = { skipped: true, reason: "condition_false" };

/**
 * A safety cap on re-dispatches of one step. Each needs progress (a newer checkpoint),
 * and a platform invocation ends ~30 s after the 202, so long loops need several.
 */
const MAX_REDISPATCHES = 50;

export interface AgentResume {
  messages: ChatMessage[];
  approved_tool_calls?: string[];
  /** Continue the turn count from here (re-dispatch after a lost runtime). */
  resume_turn?: number;
}

/**
 * Executes steps by type for one run (spec §8.11–§8.15) and turns what comes
 * back (runtime callbacks, child runs, webhook replies) into outcomes the run applies.
 */
export class StepRunner {
  private readonly run: RunDO;
  private readonly env: OrchestratorEnv;

  constructor(run: RunDO, env: OrchestratorEnv) {
    this.run = run;
    this.env = env;
  }

  // --------------------------------------------------------------- context

  /** Values of the declared env (root runs only): the Worker's var, else the declared default, else "". */
  private envValues(): Record<string, string> | undefined {
    if (!this.run.run.env_enabled) return undefined;
    const values: Record<string, string> = {};
    for (const decl of this.run.workflow.env) {
      const value = this.env[decl.name];
      values[decl.name] = typeof value === "string" ? value : (decl.default ?? "");
    }
    return values;
  }

  /** `env:NAME` sources: declared env only, root runs only. */
  private envLookup(): EnvLookup {
    const values = this.envValues();
    return values ? (name) => values[name] : null;
  }

  /** Context outputs of the settled steps, in start order. */
  private stepOutputs(): Map<string, JsonObject> {
    const settled = [...this.run.stepStates().values()]
      .filter((state) => state.status === "complete" || state.status === "skipped")
      .sort((a, b) => a.seq - b.seq);
    return new Map(settled.map((state) => [state.id, (state.context ?? {}) as JsonObject]));
  }

  /** The standard expression context (spec §8.4); agent params and fanout items never see `env`. */
  context(options: { env?: boolean; item?: { item: unknown; index: number } } = {}): JsonObject {
    const sources: ExprContextSources = {
      stepOutputs: this.stepOutputs(),
      params: this.run.run.params as JsonObject,
      env: options.env === false ? null : this.envValues(),
    };
    return options.item ? buildFanoutItemContext(sources, options.item.item as JsonValue, options.item.index) : buildExprContext(sources);
  }

  // --------------------------------------------------------------- starting

  async start(step: CompiledStep, state: StepState): Promise<StepOutcome | null> {
    if (step.type === "webhook" && !this.run.run.webhooks_enabled) {
      // Suppressed sub-workflow webhooks skip without evaluating their condition (spec §8.15 item 5).
      return { kind: "skipped", context: { suppressed: true } };
    }
    if (step.condition) {
      const outcome = evaluateCondition(step.condition, this.context());
      if (outcome.error) console.log(`run ${this.run.run.run_id}: step "${step.id}" condition error, skipping: ${outcome.error.message}`);
      if (!outcome.truthy) return { kind: "skipped", context: CONDITION_FALSE };
    }
    switch (step.type) {
      case "transform":
        return this.transform(step);
      case "webhook":
        this.startWebhook(step, state);
        return null;
      case "agent":
        return step.for_each ? this.startFanout(step, state) : this.dispatchAgent(step, state);
      case "workflow":
        return this.startSubWorkflow(step, state);
    }
  }

  private transform(step: Extract<CompiledStep, { type: "transform" }>): StepOutcome {
    try {
      return { kind: "output", output: runTransform(step.transform, this.stepOutputs()), metrics: { ...ZERO_METRICS } };
    } catch (err) {
      return { kind: "failed", error: (err as Error).message };
    }
  }

  // --------------------------------------------------------------- webhooks

  private webhookKey(step: CompiledWebhookStep): string {
    return `webhook:${step.id}`;
  }

  private startWebhook(step: CompiledWebhookStep, state: StepState): void {
    const key = this.webhookKey(step);
    this.run.markInFlight(key);
    const send = sendWebhook(step, {
      gateway: this.env.GATEWAY,
      context: this.context(),
      runId: this.run.run.run_id,
      root: this.run.run.env_enabled,
      envLookup: this.envLookup(),
      rawEnv: (name) => {
        const value = this.env[name];
        return typeof value === "string" ? value : undefined;
      },
      paramStrings: this.run.run.param_strings,
      deadlineAt: state.deadline_at,
    });
    // The reply arrives while the object keeps serving other requests.
    this.run.keepAlive(
      send.then(async (outcome) => {
        this.run.clearInFlight(key);
        this.run.settle(step, outcome);
        await this.run.advance();
      }),
    );
  }

  // --------------------------------------------------------------- agents

  /** The step params that are exactly `{{ params.X }}` with X a secret param of this run's workflow. */
  private secretSourced(params: Record<string, unknown>): Set<string> {
    const secret = new Set(this.run.workflow.params.declared.filter((p) => p.secret).map((p) => p.name));
    const sourced = new Set<string>();
    for (const [key, value] of Object.entries(params)) {
      const expr = typeof value === "string" ? wholeTemplateExpression(value) : undefined;
      const match = expr === undefined ? null : /^params\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr.trim());
      if (match && secret.has(match[1]!)) sourced.add(key);
    }
    return sourced;
  }

  /** Agent step params (spec §8.5): a whole `{{ }}` string is evaluated and stringified; a null result keeps the text. */
  private agentStepParams(params: Record<string, unknown>, context: Record<string, unknown>): Record<string, unknown> {
    const resolved: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(params)) {
      if (key === "server") continue;
      const expr = typeof value === "string" ? wholeTemplateExpression(value) : undefined;
      if (expr === undefined) {
        resolved[key] = value;
        continue;
      }
      let result: JsonValue;
      try {
        result = evaluate(expr, context);
      } catch (err) {
        throw new DispatchError(`agent param "${key}" template: ${(err as Error).message}`);
      }
      resolved[key] = result === null ? value : stringForm(result);
    }
    return resolved;
  }

  private async postInvoke(request: InvokeRequest): Promise<string | null> {
    try {
      const res = await this.env.RUNTIME.fetch("https://runtime/invoke", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(request),
      });
      await res.body?.cancel();
      return res.status === 202 ? null : `runtime returned ${res.status}`;
    } catch (err) {
      return `dispatch to runtime: ${(err as Error).message}`;
    }
  }

  private invokeRequest(step: CompiledAgentStep, stepId: string, attempt: number, context: Record<string, unknown>): InvokeRequest {
    const run = this.run.run;
    return buildInvokeRequest(project, step, this.agentStepParams(step.params, context), this.envLookup(), {
      runId: run.run_id,
      stepId,
      callbackUrl: callbackPath(run.run_id, stepId),
      costBudgetUsd: run.cost_budget_usd,
      budgetRunId: run.root_run_id,
      attempt,
      secretSourced: this.secretSourced(step.params),
    });
  }

  private async dispatchAgent(step: CompiledAgentStep, state: StepState, resume?: AgentResume): Promise<StepOutcome> {
    state.attempt += 1;
    let request: InvokeRequest;
    try {
      // Agent params see flat ids, `step` and `params`, but never `env` (spec §8.5).
      request = this.invokeRequest(step, step.id, state.attempt, this.context({ env: false }));
    } catch (err) {
      return { kind: "failed", error: (err as Error).message };
    }
    if (resume) {
      request.messages = resume.messages;
      request.is_resume = true;
      if (resume.approved_tool_calls) request.approved_tool_calls = resume.approved_tool_calls;
      if (resume.resume_turn !== undefined) request.resume_turn = resume.resume_turn;
    }
    state.status = "running";
    state.heartbeat_deadline_at = Date.now() + this.run.heartbeatTimeoutMs();
    this.run.touchStep(state);
    // Durable before the runtime hears of it: a callback can never find unknown state.
    await this.run.commit();
    const failure = await this.postInvoke(request);
    return failure ? { kind: "failed", error: failure } : { kind: "waiting" };
  }

  /**
   * Sends an agent step back to the runtime with its conversation so far: after an
   * approval decision, or after its runtime was lost mid-loop. Returns an error text
   * when the dispatch failed.
   */
  async resumeAgent(step: CompiledAgentStep, state: StepState, resume: AgentResume): Promise<string | null> {
    state.partial_metrics = state.metrics;
    state.dispatched_turn = state.checkpoint_turn ?? 0;
    const outcome = await this.dispatchAgent(step, state, resume);
    return outcome.kind === "failed" ? outcome.error : null;
  }

  // --------------------------------------------------------------- fanout

  private async startFanout(step: CompiledAgentStep, state: StepState): Promise<StepOutcome | null> {
    const forEach = step.for_each!;
    let items: JsonValue;
    try {
      // `from` sees the standard context, so `step.X`, `X` and `params` all work (spec §8.12 recommendation).
      items = evaluate(forEach.from, this.context({ env: false }));
    } catch (err) {
      return { kind: "failed", error: `for_each from "${forEach.from}": ${(err as Error).message}` };
    }
    const selected = selectFanoutItems(forEach.from, items, forEach.max_items);
    if (!selected.ok) return { kind: "failed", error: selected.error };
    const list = selected.items;
    if (list.length === 0) return { kind: "output", output: { results: [] }, metrics: { ...ZERO_METRICS } };
    const concurrency = fanoutConcurrency(forEach.concurrency, list.length);
    state.fanout = { total: list.length, concurrency, max_failures: forEach.max_failures, next: 0, running: 0, finished: 0 };
    for (const [index, item] of list.entries()) this.run.putItem(step.id, { index, status: "pending", item, attempt: 0 });
    this.run.touchStep(state);
    return this.pumpFanout(step, state);
  }

  /** Dispatches pending items up to the step's concurrency. */
  private async pumpFanout(step: CompiledAgentStep, state: StepState): Promise<StepOutcome | null> {
    const fanout = state.fanout!;
    const batch: Array<{ item: ItemState; request: InvokeRequest }> = [];
    while (fanout.running < fanout.concurrency && fanout.next < fanout.total) {
      const item = this.run.item(step.id, fanout.next)!;
      fanout.next += 1;
      fanout.running += 1;
      item.status = "running";
      item.attempt += 1;
      item.heartbeat_deadline_at = Date.now() + this.run.heartbeatTimeoutMs();
      try {
        const context = this.context({ env: false, item: { item: item.item, index: item.index } });
        batch.push({ item, request: this.invokeRequest(step, `${step.id}.${item.index}`, item.attempt, context) });
      } catch (err) {
        this.finishItem(step, state, item, { error: (err as Error).message });
      }
      this.run.putItem(step.id, item);
    }
    this.run.persistStep(state);
    if (batch.length > 0) {
      await this.run.commit();
      const failures = await Promise.all(batch.map(({ request }) => this.postInvoke(request)));
      failures.forEach((failure, i) => {
        if (failure) this.finishItem(step, state, batch[i]!.item, { error: failure });
      });
    }
    return this.fanoutDone(step, state);
  }

  private finishItem(
    step: CompiledAgentStep,
    state: StepState,
    item: ItemState,
    result: { output?: Record<string, unknown>; error?: string; metrics?: StepMetrics },
  ): void {
    if (item.status !== "running") return;
    item.status = result.error !== undefined ? "failed" : "ok";
    if (result.output) item.output = result.output;
    if (result.error !== undefined) item.error = result.error;
    if (result.metrics) item.metrics = result.metrics;
    delete item.heartbeat_deadline_at;
    state.fanout!.running -= 1;
    state.fanout!.finished += 1;
    this.run.putItem(step.id, item);
    this.run.persistStep(state);
  }

  /** When every item has finished: the `{"results": [...]}` output or the policy failure, metrics summed. */
  private fanoutDone(step: CompiledAgentStep, state: StepState): StepOutcome | null {
    const fanout = state.fanout!;
    if (fanout.finished < fanout.total) return { kind: "waiting" };
    const items: ItemState[] = [];
    for (let i = 0; i < fanout.total; i++) items.push(this.run.item(step.id, i)!);
    const aggregate = aggregateFanout(
      items.map((item) =>
        item.status === "ok"
          ? { ok: true as const, output: (item.output ?? {}) as JsonObject, metrics: item.metrics ?? null }
          : { ok: false as const, error: item.error ?? "failed", metrics: item.metrics ?? null },
      ),
      fanout.max_failures,
    );
    const metrics = aggregate.metrics;
    return aggregate.kind === "ok"
      ? { kind: "output", output: aggregate.output, metrics, reflected: metrics.reflected ?? false }
      : { kind: "failed", error: aggregate.error, metrics };
  }

  // --------------------------------------------------------------- callbacks

  async onCallback(payload: CallbackPayload): Promise<void> {
    const target = this.locate(payload.step_id);
    if (!target) return;
    const { step, state, item } = target;
    if (payload.attempt !== undefined && payload.attempt !== (item ?? state).attempt) return; // a superseded dispatch
    const metrics = callbackMetrics(payload);
    if (item) {
      if (item.status !== "running") return;
      if (payload.status === "ok") {
        const reserved = processReservedFields(payload.output ?? {}, step.confidence_threshold);
        if (reserved.kind === "fail") this.finishItem(step, state, item, { error: `agent step failed: ${reserved.error}`, metrics });
        else this.finishItem(step, state, item, { output: reserved.output, metrics });
      } else {
        // Approvals inside fanout items are not supported: the item fails with a clear error.
        const error = payload.status === "failed" ? `agent step failed: ${payload.error}` : "approvals are not supported inside for_each items";
        this.finishItem(step, state, item, { error, metrics });
      }
      const outcome = await this.pumpFanout(step, state);
      if (outcome && outcome.kind !== "waiting") this.run.settle(step, outcome);
      return;
    }
    if (state.status !== "running") return;
    delete state.heartbeat_deadline_at;
    // The conversation is kept on the step record only while small; approvals keep theirs in a checkpoint.
    if (payload.messages && jsonBytes(payload.messages) <= MAX_MESSAGES_BYTES) state.messages = this.run.scrubber().value(payload.messages);
    // Earlier legs of the step (before an approval or a re-dispatch) count too.
    const total = addMetrics(state.partial_metrics, metrics);
    switch (payload.status) {
      case "ok":
        this.run.settle(step, { kind: "output", output: payload.output, metrics: total, reflected: (total.reflect_calls ?? 0) > 0 });
        return;
      case "failed":
        this.run.settle(step, {
          kind: "failed",
          error: `agent step failed: ${payload.error}`,
          metrics: total,
          ...(payload.raw_output !== undefined ? { details: { raw_output: truncate(payload.raw_output, MAX_RAW_OUTPUT_CHARS) } } : {}),
        });
        return;
      case "pending_approval":
        await openApproval(this.run, step, state, payload, total);
        return;
    }
  }

  /** A callback's step id: a pipeline step, or `<step>.<index>` of a fanout item. */
  private locate(stepId: string): { step: CompiledAgentStep; state: StepState; item?: ItemState } | null {
    const pipeline = this.run.workflow.pipeline;
    const direct = pipeline.find((s) => s.id === stepId);
    if (direct?.type === "agent" && !direct.for_each) return { step: direct, state: this.run.stepState(direct.id) };
    const dot = stepId.lastIndexOf(".");
    if (dot < 0) return null;
    const parent = pipeline.find((s) => s.id === stepId.slice(0, dot));
    const index = Number(stepId.slice(dot + 1));
    if (parent?.type !== "agent" || !parent.for_each || !Number.isInteger(index)) return null;
    const state = this.run.stepState(parent.id);
    const item = this.run.item(parent.id, index);
    return item && state.status === "running" ? { step: parent, state, item } : null;
  }

  /**
   * Moves the heartbeat deadlines of the named steps (or items). In memory only:
   * a heartbeat writes nothing; after an eviction every running step gets a fresh
   * deadline instead (RunDO.load).
   */
  onHeartbeat(stepIds: string[], timeoutMs: number): void {
    const deadline = Date.now() + timeoutMs;
    for (const stepId of stepIds) {
      const target = this.locate(stepId);
      if (!target) continue;
      const holder = target.item ?? target.state;
      if (holder.status === "running") holder.heartbeat_deadline_at = deadline;
    }
  }

  /**
   * The alarm's liveness check for a step (or its fanout items) whose heartbeats
   * stopped. A step whose runtime made progress since its dispatch (a newer
   * checkpoint) is re-dispatched from that checkpoint, never repeating a finished
   * turn; otherwise it fails. Returns the step error, if any.
   */
  async checkLiveness(step: CompiledStep, state: StepState, at: number, timeoutMs: number): Promise<string | null> {
    if (step.type !== "agent") return null;
    const seconds = Math.round(timeoutMs / 1000);
    if (!step.for_each) {
      if (!state.heartbeat_deadline_at || at < state.heartbeat_deadline_at) return null;
      const checkpoint = await this.run.readCheckpoint(step.id);
      const progressed = checkpoint !== undefined && checkpoint.turn > (state.dispatched_turn ?? 0);
      if (progressed && (state.redispatches ?? 0) < MAX_REDISPATCHES) {
        state.redispatches = (state.redispatches ?? 0) + 1;
        // The lost invocation's usage up to its checkpoint counts toward the step.
        state.metrics = addMetrics(state.partial_metrics, checkpoint.metrics);
        this.run.event("step_redispatched", step.id, { from_turn: checkpoint.turn, attempt: state.attempt + 1 });
        return this.resumeAgent(step, state, { messages: checkpoint.messages, resume_turn: checkpoint.turn });
      }
      return `agent step "${step.id}" timed out: no heartbeat from the runtime for ${seconds}s`;
    }
    for (let i = 0; i < (state.fanout?.total ?? 0); i++) {
      const item = this.run.item(step.id, i)!;
      if (item.status === "running" && item.heartbeat_deadline_at && at >= item.heartbeat_deadline_at) {
        this.finishItem(step, state, item, { error: `agent step "${step.id}.${i}" timed out: no heartbeat from the runtime for ${seconds}s` });
      }
    }
    return null;
  }

  /** After an eviction: work whose promise died with the old instance is started again. */
  async resumeLost(step: CompiledStep, state: StepState): Promise<void> {
    if (step.type === "webhook" && !this.run.isInFlight(this.webhookKey(step))) {
      // Re-sent with the same idempotency key, so the receiver can drop a duplicate.
      this.startWebhook(step, state);
    }
    if (step.type === "agent" && step.for_each && state.fanout) {
      const outcome = await this.pumpFanout(step, state);
      if (outcome && outcome.kind !== "waiting") this.run.settle(step, outcome);
    }
  }

  // --------------------------------------------------------------- sub-workflows

  runStub(runId: string): DurableObjectStub<RunDO> {
    return runStub(this.env, runId);
  }

  private async startSubWorkflow(step: CompiledWorkflowStep, state: StepState): Promise<StepOutcome> {
    const target = project.workflows[step.workflow];
    if (!target) return { kind: "failed", error: `workflow step "${step.id}": resolve "${step.workflow_ref}": not in the project bundle` };
    let params: { rich: Record<string, unknown>; strings: Record<string, string> };
    let input: Record<string, unknown>;
    try {
      params = this.subWorkflowParams(step);
      for (const spec of target.params.declared) {
        if (spec.required && (params.rich[spec.name] === undefined || params.rich[spec.name] === null)) {
          throw new DispatchError(`workflow step "${step.id}": missing required param "${spec.name}" for sub-workflow "${step.workflow_ref}"`);
        }
      }
      input = this.subWorkflowInput(step);
    } catch (err) {
      return { kind: "failed", error: (err as Error).message };
    }
    for (const [key, value] of Object.entries(input)) if (!Object.hasOwn(params.rich, key)) params.rich[key] = value;

    const run = this.run.run;
    const childId = `${run.run_id}/${step.id}`;
    await this.run.commit();
    try {
      await this.runStub(childId).start({
        run_id: childId,
        workflow_key: step.workflow,
        workflow_name: target.name,
        params: params.rich,
        param_strings: params.strings,
        payload: input,
        parent: { run_id: run.run_id, step_id: step.id },
        root_run_id: run.root_run_id,
        env_enabled: false,
        webhooks_enabled: step.webhooks_enabled,
        timeout_s: run.timeout_s,
        cost_budget_usd: run.cost_budget_usd,
        secret_params: run.secret_params,
      });
    } catch (err) {
      return { kind: "failed", error: `workflow step "${step.id}": start sub-run: ${(err as Error).message}` };
    }
    state.attempt += 1;
    this.run.touchStep(state);
    return { kind: "waiting" };
  }

  /** Workflow step params (spec §8.15 item 2): typed (`rich`) and string forms. */
  private subWorkflowParams(step: CompiledWorkflowStep): { rich: Record<string, unknown>; strings: Record<string, string> } {
    const context = this.context();
    const rich: Record<string, unknown> = {};
    const strings: Record<string, string> = {};
    for (const [key, value] of Object.entries(step.params)) {
      if (key === "agent" || key === "server") continue;
      const where = `workflow step "${step.id}" param "${key}"`;
      if (typeof value !== "string") throw new DispatchError(`${where}: value must be a string, got ${goTypeName(value)}`);
      let resolved: unknown;
      const expr = wholeTemplateExpression(value);
      if (expr !== undefined) {
        try {
          resolved = evaluate(expr, context);
        } catch (err) {
          throw new DispatchError(`${where}: template "${expr}": ${(err as Error).message}`);
        }
      } else {
        try {
          resolved = this.resolveValue(value);
        } catch (resolveError) {
          let fallback: JsonValue;
          try {
            fallback = evaluate(value, context);
          } catch {
            throw new DispatchError(`${where}: ${(resolveError as Error).message}`);
          }
          if (fallback === null) throw new DispatchError(`${where}: JMESPath "${value}" resolved to nil`);
          if (typeof fallback !== "string") throw new DispatchError(`${where}: value resolved to non-string ${goTypeName(fallback)}`);
          resolved = fallback;
        }
      }
      if (resolved === null || resolved === undefined) continue;
      rich[key] = resolved;
      strings[key] = stringForm(resolved as JsonValue);
    }
    return { rich, strings };
  }

  private subWorkflowInput(step: CompiledWorkflowStep): Record<string, unknown> {
    const context = this.context();
    const input: Record<string, unknown> = {};
    for (const [key, expr] of Object.entries(step.input)) {
      if (typeof expr !== "string") throw new DispatchError(`workflow step "${step.id}" input "${key}": must be a string JMESPath expression`);
      try {
        input[key] = evaluate(expr, context);
      } catch (err) {
        throw new DispatchError(`workflow step "${step.id}" input "${key}": JMESPath "${expr}": ${(err as Error).message}`);
      }
    }
    return input;
  }

  /** `ResolveValue` (spec §2.5): `env:`, `param:`, backtick literal, else the literal itself. */
  resolveValue(value: string): string {
    const run = this.run.run;
    if (value.startsWith("env:")) {
      const name = value.slice(4);
      const lookup = this.envLookup();
      if (!lookup) throw new DispatchError(`env: reference "${value}" not permitted outside root workflow context`);
      const found = lookup(name);
      if (found === undefined) throw new DispatchError(`env var "${name}" is not set`);
      return found;
    }
    if (value.startsWith("param:")) {
      const name = value.slice(6);
      if (!run.param_strings) throw new DispatchError(`param "${name}" referenced but no params context is available`);
      const found = run.param_strings[name];
      if (found === undefined) throw new DispatchError(`param "${name}" is not available in this invocation`);
      return found;
    }
    if (value.length >= 2 && value.startsWith("`") && value.endsWith("`")) return value.slice(1, -1);
    return value;
  }

  async onChildFinished(result: ChildResult): Promise<void> {
    const step = this.run.workflow.pipeline.find((s) => s.id === result.step_id);
    if (step?.type !== "workflow") return;
    if (this.run.stepState(step.id).status !== "running") return;
    if (result.status === "failed") {
      // Metrics are zeroed on a failed sub-workflow step (spec §8.15 item 10).
      this.run.settle(step, { kind: "failed", error: `sub-workflow "${step.workflow_ref}" failed: ${result.error}`, metrics: { ...ZERO_METRICS } });
    } else {
      this.run.settle(step, { kind: "output", output: result.output ?? {}, metrics: { ...result.metrics, duration_ms: 0 } });
    }
  }

  /** A sub-run's result (spec §8.15 item 8): `output.map`, else the last completed step's output, else `{}`. */
  subRunResult(): Record<string, unknown> {
    const workflow = this.run.workflow;
    if (workflow.output.map) {
      const context = this.context({ env: false });
      const result: Record<string, unknown> = {};
      for (const [key, expr] of Object.entries(workflow.output.map)) {
        if (typeof expr !== "string") continue;
        try {
          const stripped = wholeTemplateExpression(expr) ?? expr;
          const value = evaluate(stripped, context);
          if (value !== null) result[key] = value;
        } catch {
          // Errors and nulls are omitted (spec §8.15 item 8).
        }
      }
      return result;
    }
    let last: StepState | undefined;
    for (const state of this.run.stepStates().values()) {
      if (state.status === "complete" && (!last || state.seq > last.seq)) last = state;
    }
    return last?.output ?? {};
  }

  totalMetrics(): StepMetrics {
    return sumMetrics([...this.run.stepStates().values()].map((s) => s.metrics));
  }

  async cancelChildren(): Promise<void> {
    const run = this.run.run;
    if (run.status === "complete") return;
    const cancelled = this.run.workflow.pipeline.filter((s) => s.type === "workflow" && this.run.stepState(s.id).status === "cancelled");
    await Promise.all(
      cancelled.map((s) =>
        this.runStub(`${run.run_id}/${s.id}`)
          .cancel(`cancelled: the parent run ${run.run_id} ended (${run.status})`)
          .catch((err: unknown) => console.error(`run ${run.run_id}: cancelling sub-run of step "${s.id}" failed`, err)),
      ),
    );
  }
}

function callbackMetrics(payload: CallbackPayload): StepMetrics {
  const m = payload.metrics ?? ZERO_METRICS;
  const metrics: StepMetrics = {
    duration_ms: m.duration_ms ?? 0,
    tokens_in: m.tokens_in ?? 0,
    tokens_out: m.tokens_out ?? 0,
    cost_usd: m.cost_usd ?? 0,
    llm_calls: m.llm_calls ?? 0,
    tool_calls: m.tool_calls ?? 0,
  };
  if ((m.reflect_calls ?? 0) > 0) {
    metrics.reflect_calls = m.reflect_calls;
    metrics.reflected = true;
  }
  return metrics;
}
