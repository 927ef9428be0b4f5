import type { CompiledInvokeAuth } from "../../../../shared/bundle.ts";
import { stringForm } from "../../../../shared/expr/index.ts";
import { sameSecret } from "../../../../shared/util/constant-time.ts";
import { resolveValue, VALUE_FIELDS } from "../../../../shared/values/index.ts";
import type { Refusal } from "../run/admission.ts";
import { bearerToken } from "./admin-auth.ts";

function misconfigured(message: string): Refusal {
  return { status: 500, error: "server misconfiguration", message };
}

/**
 * `invoke.auth.secret` through the shared value resolver. It is checked before
 * the run exists, so only env can be read: the Worker's own variables (the
 * name need not be declared in the workflow's `env`).
 */
function resolveSecret(secret: string, env: Record<string, unknown>): string | Refusal {
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") vars[name] = value;
  const outcome = resolveValue(secret, { env: vars }, VALUE_FIELDS.invokeAuthSecret);
  if (!outcome.ok) return misconfigured(outcome.error.message);
  return outcome.value === null ? "" : stringForm(outcome.value);
}

/** The token a request presents to `invoke.auth` (without its `Bearer ` prefix, whose case does not matter), or null when it presents none in the right form. */
export function presentedToken(auth: CompiledInvokeAuth, header: (name: string) => string | undefined): string | null {
  const token = header(auth.header) ?? "";
  if (auth.scheme !== "bearer") return token;
  return bearerToken(token);
}

/** The per-workflow `invoke.auth` check: 500 when misconfigured, 401 when the caller's token does not match. */
export async function checkInvokeAuth(
  auth: CompiledInvokeAuth | null,
  header: (name: string) => string | undefined,
  env: Record<string, unknown>,
): Promise<Refusal | null> {
  if (!auth) return null;
  const secret = resolveSecret(auth.secret, env);
  if (typeof secret !== "string") return secret;
  // An empty secret would let a request without the header in (the original's edge case): refuse to serve instead.
  if (secret === "") return misconfigured("invoke.auth.secret resolves to an empty value");
  const token = presentedToken(auth, header);
  if (token === null) return { status: 401, error: "unauthorized", message: "unauthorized" };
  return (await sameSecret(token, secret)) ? null : { status: 401, error: "unauthorized", message: "unauthorized" };
}
