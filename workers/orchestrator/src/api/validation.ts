import type { Hook } from "@hono/zod-openapi";
import { fieldOf } from "../../../../shared/contracts/schemas/parse.ts";
import type { OrchestratorEnv } from "../env.ts";

/**
 * A request whose params, query or headers do not fit the route's schema answers 400
 * `invalid_request` naming the field (bodies are read by body.ts and checked in the handlers).
 */
export const validationHook: Hook<unknown, { Bindings: OrchestratorEnv }, string, Response | undefined> = (result, c) => {
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  const field = fieldOf(issue?.path ?? []);
  const message = field ? `field "${field}": ${issue?.message}` : (issue?.message ?? "invalid request");
  return c.json({ error: "invalid_request", message, ...(field ? { field } : {}) }, 400);
};
