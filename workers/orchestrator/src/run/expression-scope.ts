// What a run's expressions and value sources can see: the outputs of its
// settled steps, its params, and its declared env (root runs only).

import type { JsonObject, JsonValue } from "../../../../shared/expr/index.ts";
import type { ValueScope } from "../../../../shared/values/index.ts";
import { buildExprContext, buildFanoutItemContext, type ExprContextSources } from "../engine/semantics.ts";
import { assemblePagedResults, tooLargeToReceive } from "./fanout-input.ts";
import type { StepState } from "./model.ts";
import type { RunState } from "./run-state.ts";

export class ExpressionScope {
  private readonly state: RunState;
  private readonly envValue: (name: string) => unknown;
  /** Paged fanout results as assembled for expressions; a settled step's results never change. */
  private readonly pagedResults = new Map<string, JsonObject>();

  constructor(state: RunState, envValue: (name: string) => unknown) {
    this.state = state;
    this.envValue = envValue;
  }

  /**
   * The declared env of a root run: the Worker's var, else the declared default.
   * A variable with neither is absent, so a value source that needs it fails with
   * `env var "X" is not set`; expressions (conditions, transforms) see it as "".
   */
  private declaredEnv(): Record<string, string> | undefined {
    if (!this.state.run.env_enabled) return undefined;
    const values: Record<string, string> = {};
    for (const decl of this.state.workflow.env) {
      const value = this.envValue(decl.name);
      if (typeof value === "string") values[decl.name] = value;
      else if (decl.default !== undefined) values[decl.name] = decl.default;
    }
    return values;
  }

  private envValues(): Record<string, string> | undefined {
    const declared = this.declaredEnv();
    if (!declared) return undefined;
    for (const decl of this.state.workflow.env) declared[decl.name] ??= "";
    return declared;
  }

  /**
   * Context outputs of the settled steps, in start order. Paged fanout results are assembled
   * from their items (once per instance) when a step may receive them; larger ones are left
   * out, and a step that depends on them fails before it starts (fanout-input.ts).
   */
  stepOutputs(): Map<string, JsonObject> {
    const settled = [...this.state.stepStates().values()]
      .filter((state) => (state.status === "complete" || state.status === "skipped") && !tooLargeToReceive(state))
      .sort((a, b) => a.seq - b.seq);
    return new Map(settled.map((state) => [state.id, this.contextOutput(state)]));
  }

  /** One step's entry of `stepOutputs()`, without building the others. */
  stepOutput(id: string): JsonObject | undefined {
    const state = this.state.stepStates().get(id);
    if (!state || (state.status !== "complete" && state.status !== "skipped") || tooLargeToReceive(state)) return undefined;
    return this.contextOutput(state);
  }

  private contextOutput(state: StepState): JsonObject {
    if (!state.paged || state.status !== "complete") return (state.context ?? {}) as JsonObject;
    let results = this.pagedResults.get(state.id);
    if (!results) {
      results = assemblePagedResults(this.state, state.id, state.paged.items);
      this.pagedResults.set(state.id, results);
    }
    return results;
  }

  /**
   * The standard expression context: step outputs flat and under `step`, `params`,
   * and `env` for root runs. Agent params and fanout items never see `env`.
   */
  context(options: { env?: boolean; item?: { item: unknown; index: number } } = {}): JsonObject {
    const sources: ExprContextSources = {
      stepOutputs: this.stepOutputs(),
      params: this.state.run.params as JsonObject,
      env: options.env === false ? null : this.envValues(),
    };
    return options.item ? buildFanoutItemContext(sources, options.item.item as JsonValue, options.item.index) : buildExprContext(sources);
  }

  /**
   * What a value source (a webhook URL or body value, a step param) reads: the
   * declared env of a root run (null in sub-runs), the params in typed and
   * string forms, the standard context (with a fanout item's `item`), and
   * which env vars and params are secret, so values read from them are marked.
   */
  valueScope(options: { item?: { item: unknown; index: number } } = {}): ValueScope {
    const run = this.state.run;
    const workflow = this.state.workflow;
    return {
      env: this.declaredEnv() ?? null,
      params: run.params as JsonObject,
      paramStrings: run.param_strings ?? null,
      context: this.context({ env: false, ...(options.item ? { item: options.item } : {}) }),
      secrets: {
        env: new Set(workflow.env.filter((decl) => decl.secret).map((decl) => decl.name)),
        params: new Set(workflow.params.declared.filter((param) => param.secret).map((param) => param.name)),
      },
    };
  }
}
