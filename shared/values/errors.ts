// Why a value source did not resolve. The message names the problem without
// the field; callers prefix it (`webhook url: env var "HOOK" is not set`).

import type { ExpressionError } from "../expr/index.ts";

export type ValueErrorKind =
  /** The source reads env where there is none: a sub-workflow, or an agent or server file. */
  | "env-unavailable"
  /** The env var is not set. */
  | "env-unset"
  /** `param:NAME` where the run has no string params (a root run). */
  | "no-params"
  /** `param:NAME` naming a param the run does not have. */
  | "param-missing"
  /** A template or expression does not parse or fails on the data; `cause` is the ExpressionError. */
  | "expression";

export class ValueError extends Error {
  readonly kind: ValueErrorKind;

  constructor(kind: ValueErrorKind, message: string, options?: { cause: ExpressionError }) {
    super(message, options);
    this.name = "ValueError";
    this.kind = kind;
  }
}

export function envUnavailable(names: readonly string[]): ValueError {
  const what = names.length === 0 ? "env" : names.map((name) => `env var "${name}"`).join(", ");
  return new ValueError(
    "env-unavailable",
    `${what} cannot be read here: env is available only in root workflows; pass the value in as a param ({{ params.NAME }})`,
  );
}

export function envUnset(name: string): ValueError {
  return new ValueError("env-unset", `env var "${name}" is not set`);
}
