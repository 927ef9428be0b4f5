// Declared params from a `params.schema`, with the rules of the original Go
// implementation's `ParseParamsSchema`, and the params of server files.

import type { JsonSchema, ParamSpec, ServerParamConfig } from "../config/types.ts";
import { isPlainObject } from "../util/objects.ts";

/** The property names listed in `schema.required` (strings only). */
export function requiredNames(schema: JsonSchema | undefined): string[] {
  const required = schema?.required;
  return Array.isArray(required) ? required.filter((name): name is string => typeof name === "string") : [];
}

export function schemaProperties(schema: JsonSchema | undefined): Record<string, unknown> {
  const properties = schema?.properties;
  return isPlainObject(properties) ? properties : {};
}

/**
 * - in `required` and no string default → required;
 * - a string default → optional with that default;
 * - otherwise optional with default "" (a non-string default is ignored).
 */
export function paramSpecs(schema: JsonSchema | undefined): ParamSpec[] {
  const required = new Set(requiredNames(schema));
  return Object.entries(schemaProperties(schema)).map(([name, property]) => {
    const prop = isPlainObject(property) ? property : {};
    const hasDefault = typeof prop.default === "string";
    const spec: ParamSpec = {
      name,
      required: required.has(name) && !hasDefault,
      secret: prop.secret === true,
    };
    if (hasDefault) spec.default = prop.default as string;
    else if (!spec.required) spec.default = "";
    if (typeof prop.description === "string") spec.description = prop.description;
    return spec;
  });
}

/** Server params: a param without `default` is required. */
export function serverParamSpecs(params: Record<string, ServerParamConfig> | undefined): ParamSpec[] {
  return Object.entries(params ?? {}).map(([name, param]) => {
    const spec: ParamSpec = { name, required: param.default === undefined, secret: param.secret === true };
    if (param.default !== undefined) spec.default = param.default;
    if (param.description !== undefined) spec.description = param.description;
    return spec;
  });
}

/** Names of params marked `secret: true`. */
export function secretNames(specs: readonly ParamSpec[]): Set<string> {
  return new Set(specs.filter((s) => s.secret).map((s) => s.name));
}
