// What a run's expressions and value sources can see: the outputs of its
// settled steps, its params, and its declared env (root runs only).

import type { JsonObject, JsonValue } from "../../../../shared/expr/index.ts";
import { DispatchError, type EnvLookup } from "../engine/agent-request.ts";
import { buildExprContext, buildFanoutItemContext, type ExprContextSources } from "../engine/semantics.ts";
import type { RunState } from "./run-state.ts";

export class ExpressionScope {
  private readonly state: RunState;
  private readonly envValue: (name: string) => unknown;

  constructor(state: RunState, envValue: (name: string) => unknown) {
    this.state = state;
    this.envValue = envValue;
  }

  /** Values of the declared env (root runs only): the Worker's var, else the declared default, else "". */
  private envValues(): Record<string, string> | undefined {
    if (!this.state.run.env_enabled) return undefined;
    const values: Record<string, string> = {};
    for (const decl of this.state.workflow.env) {
      const value = this.envValue(decl.name);
      values[decl.name] = typeof value === "string" ? value : (decl.default ?? "");
    }
    return values;
  }

  /** `env:NAME` sources: declared env only, root runs only. */
  envLookup(): EnvLookup {
    const values = this.envValues();
    return values ? (name) => values[name] : null;
  }

  /** A Worker var by name, declared or not (webhook bodies' `env:NAME` values read these in every run). */
  rawEnv(name: string): string | undefined {
    const value = this.envValue(name);
    return typeof value === "string" ? value : undefined;
  }

  /** Context outputs of the settled steps, in start order. */
  stepOutputs(): Map<string, JsonObject> {
    const settled = [...this.state.stepStates().values()]
      .filter((state) => state.status === "complete" || state.status === "skipped")
      .sort((a, b) => a.seq - b.seq);
    return new Map(settled.map((state) => [state.id, (state.context ?? {}) as JsonObject]));
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
   * A value source: `env:NAME` (root runs' declared env), `param:NAME` (the
   * string form of a param), a backtick-quoted literal, else the text itself.
   */
  resolveValue(value: string): string {
    const run = this.state.run;
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
}
