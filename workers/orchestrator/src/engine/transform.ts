// Transform steps: collect inputs (none → null, one → that step's output,
// several → a shallow merge, later inputs winning), then apply the ops in order.
// Output `{ result }`. Errors are thrown as TransformError with the exact
// texts `op <name>: <detail>`.
//
// Deliberate differences from the Go original:
//  - sort keeps null keys last in both orders and equal keys in input order
//    (the original negated its comparator for `desc`, so nulls came first and
//    ties were ordered inconsistently);
//  - deduplicate of `[]` gives `[]` (the original returned null).
// Go's `%v` string forms are replaced by the JSON-style `stringForm`.

import { compileExpression, evaluate, ExpressionError } from "../../../../shared/expr/evaluate.ts";
import { stringForm } from "../../../../shared/expr/format.ts";
import { goTypeName, isJsonObject, setOwn, type JsonObject, type JsonValue } from "../../../../shared/expr/json.ts";
import { getStepOutput, type StepOutputLookup } from "./expression-context.ts";

export interface TransformSpec {
  inputs: readonly { from: string }[];
  /** One-key maps `{ <op name>: <args> }`; a map with several keys applies each in key order. */
  ops: readonly Readonly<Record<string, unknown>>[];
}

export class TransformError extends Error {
  readonly op: string;

  constructor(op: string, detail: string) {
    super(`op ${op}: ${detail}`);
    this.name = "TransformError";
    this.op = op;
  }
}

/** Thrown by an op implementation; runTransform adds the `op <name>: ` prefix. */
class OpError extends Error {}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Inputs: none → null; one → that step's whole output (null if unknown); several → shallow merge, later wins. */
export function collectTransformInputs(inputs: readonly { from: string }[], outputs: StepOutputLookup): JsonValue {
  if (inputs.length === 0) return null;
  if (inputs.length === 1) return getStepOutput(outputs, (inputs[0] as { from: string }).from) ?? null;
  const merged: JsonObject = {};
  for (const input of inputs) {
    const output = getStepOutput(outputs, input.from);
    if (output) for (const [key, value] of Object.entries(output)) setOwn(merged, key, value);
  }
  return merged;
}

/** Map + map merges recursively (right wins on scalars), array + array concatenates, otherwise the right value. */
export function deepMerge(left: JsonValue, right: JsonValue): JsonValue {
  if (isJsonObject(left) && isJsonObject(right)) {
    const result: JsonObject = { ...left };
    for (const [key, value] of Object.entries(right)) {
      setOwn(result, key, Object.hasOwn(result, key) ? deepMerge(result[key] as JsonValue, value) : value);
    }
    return result;
  }
  if (Array.isArray(left) && Array.isArray(right)) return [...left, ...right];
  return right;
}

/** filter/map input: arrays as is, null → [], anything else → a one-element array. */
function asItems(value: JsonValue): JsonValue[] {
  if (Array.isArray(value)) return value;
  return value === null ? [] : [value];
}

function mapArgs(op: string, args: unknown): Readonly<Record<string, unknown>> {
  if (!isJsonObject(args)) throw new OpError(`${op}: expected map, got ${goTypeName(args)}`);
  return args;
}

function stringArg(args: Readonly<Record<string, unknown>>, key: string): string {
  const value = args[key];
  return typeof value === "string" ? value : "";
}

function opMerge(current: JsonValue, args: unknown, outputs: StepOutputLookup): JsonValue {
  if (!Array.isArray(args)) throw new OpError(`merge: expected []interface{}, got ${goTypeName(args)}`);
  let result = current;
  for (const id of args) {
    const output = typeof id === "string" ? getStepOutput(outputs, id) : undefined;
    if (output) result = deepMerge(result, output);
  }
  return result;
}

function opFilter(current: JsonValue, args: unknown): JsonValue {
  const expr = stringArg(mapArgs("filter", args), "expr");
  const query = `[?${expr}]`;
  let result: JsonValue;
  try {
    result = evaluate(query, asItems(current));
  } catch (error) {
    throw new OpError(`jmespath filter ${query}: ${errorText(error)}`);
  }
  return Array.isArray(result) ? result : [];
}

function opMap(current: JsonValue, args: unknown): JsonValue {
  const expr = stringArg(mapArgs("map", args), "expr");
  const fail = (error: unknown) => new OpError(`jmespath map ${JSON.stringify(expr)}: ${errorText(error)}`);
  try {
    compileExpression(expr); // report a bad expression even when there are no items
  } catch (error) {
    throw fail(error);
  }
  return asItems(current).map((item) => {
    try {
      return evaluate(expr, item);
    } catch (error) {
      throw fail(error);
    }
  });
}

/** `search(field, item)`; a lookup error counts as null (as in Go). */
function fieldValue(field: string, item: JsonValue): JsonValue {
  try {
    return evaluate(field, item);
  } catch (error) {
    if (error instanceof ExpressionError) return null;
    throw error;
  }
}

/** Numbers numerically, anything else by the code-unit order of their string forms. */
function compareKeys(a: JsonValue, b: JsonValue): number {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  const left = stringForm(a);
  const right = stringForm(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

function opSort(current: JsonValue, args: unknown): JsonValue {
  const options = mapArgs("sort", args);
  if (!Array.isArray(current)) throw new OpError(`sort: expected []interface{}, got ${goTypeName(current)}`);
  const field = stringArg(options, "field");
  const direction = stringArg(options, "order") === "desc" ? -1 : 1;
  const keyed = current.map((item) => ({ item, key: fieldValue(field, item) }));
  // Array.prototype.sort is stable, so equal keys keep their input order.
  keyed.sort((a, b) => {
    if (a.key === null || b.key === null) return (a.key === null ? 1 : 0) - (b.key === null ? 1 : 0);
    return direction * compareKeys(a.key, b.key);
  });
  return keyed.map(({ item }) => item);
}

function opFlatten(current: JsonValue): JsonValue {
  if (!Array.isArray(current)) return current;
  return current.flatMap((item) => (Array.isArray(item) ? item : [item]));
}

function opDeduplicate(current: JsonValue, args: unknown): JsonValue {
  const field = stringArg(mapArgs("deduplicate", args), "field");
  if (!Array.isArray(current)) return current;
  const seen = new Set<string>();
  let seenNull = false;
  const result: JsonValue[] = [];
  for (const item of current) {
    const key = fieldValue(field, item);
    if (key === null) {
      if (seenNull) continue;
      seenNull = true;
    } else {
      const text = stringForm(key);
      if (seen.has(text)) continue;
      seen.add(text);
    }
    result.push(item);
  }
  return result;
}

export function applyTransformOp(name: string, args: unknown, current: JsonValue, outputs: StepOutputLookup): JsonValue {
  try {
    switch (name) {
      case "merge":
        return opMerge(current, args, outputs);
      case "filter":
        return opFilter(current, args);
      case "map":
        return opMap(current, args);
      case "sort":
        return opSort(current, args);
      case "flatten":
        return opFlatten(current);
      case "deduplicate":
        return opDeduplicate(current, args);
      default:
        throw new OpError(`unknown op: ${name}`);
    }
  } catch (error) {
    if (error instanceof OpError) throw new TransformError(name, error.message);
    throw error;
  }
}

export function runTransform(spec: TransformSpec, stepOutputs: StepOutputLookup): { result: JsonValue } {
  let current = collectTransformInputs(spec.inputs, stepOutputs);
  for (const op of spec.ops) {
    for (const [name, args] of Object.entries(op)) current = applyTransformOp(name, args, current, stepOutputs);
  }
  return { result: current };
}
