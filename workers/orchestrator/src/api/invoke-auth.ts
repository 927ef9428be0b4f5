import type { CompiledInvokeAuth } from "../../../../shared/bundle.ts";
import type { Refusal } from "../run/admission.ts";

const encoder = new TextEncoder();

/** Constant-time comparison; hashing first makes the lengths equal. */
async function sameSecret(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([crypto.subtle.digest("SHA-256", encoder.encode(a)), crypto.subtle.digest("SHA-256", encoder.encode(b))]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}

function misconfigured(message: string): Refusal {
  return { status: 500, error: "server misconfiguration", message };
}

/** `invoke.auth.secret` through ResolveValue with env allowed and no params (spec §8.17). */
function resolveSecret(secret: string, env: Record<string, unknown>): string | Refusal {
  if (secret.startsWith("env:")) {
    const value = env[secret.slice(4)];
    return typeof value === "string" ? value : misconfigured(`env var "${secret.slice(4)}" is not set`);
  }
  if (secret.startsWith("param:")) return misconfigured(`param "${secret.slice(6)}" referenced but no params context is available`);
  if (secret.length >= 2 && secret.startsWith("`") && secret.endsWith("`")) return secret.slice(1, -1);
  return secret;
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
  let token = header(auth.header) ?? "";
  if (auth.scheme === "bearer") {
    if (!token.startsWith("Bearer ")) return { status: 401, error: "unauthorized", message: "unauthorized" };
    token = token.slice("Bearer ".length);
  }
  return (await sameSecret(token, secret)) ? null : { status: 401, error: "unauthorized", message: "unauthorized" };
}
