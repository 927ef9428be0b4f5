import type { MiddlewareHandler } from "hono";
import { sameSecret } from "../../../../shared/util/constant-time.ts";
import type { OrchestratorEnv } from "../env.ts";

/** The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 9110), unlike the original's check. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^bearer (.*)$/is.exec(header ?? "");
  return match ? match[1]! : null;
}

const HOW_TO_SET =
  "no admin token is configured, so every admin route is refused: set one with `wrangler secret put KTSU_ADMIN_TOKEN` (deployed) or KTSU_ADMIN_TOKEN=<token> for `ktsu start`, then send Authorization: Bearer <token>";

/**
 * Reading runs, their events and approvals, the project's workflows, and deciding approvals
 * need `Authorization: Bearer <KTSU_ADMIN_TOKEN>`. Without a configured token every such
 * request is refused, unless `KTSU_ADMIN_OPEN` is "true": only the local stack sets it
 * (`ktsu start` without `--secure`), so what `wrangler deploy` uploads is closed by default.
 * Invokes keep the per-workflow `invoke.auth`; `/health` stays open.
 */
export const requireAdminToken: MiddlewareHandler<{ Bindings: OrchestratorEnv }> = async (c, next) => {
  const token = c.env.KTSU_ADMIN_TOKEN;
  if (typeof token !== "string" || token === "") {
    if (c.env.KTSU_ADMIN_OPEN === "true") return next();
    return c.json({ error: "unauthorized", message: HOW_TO_SET }, 401);
  }
  const given = bearerToken(c.req.header("authorization"));
  if (given === null || given === "" || !(await sameSecret(given, token))) {
    return c.json({ error: "unauthorized", message: "this route needs the admin token: Authorization: Bearer <KTSU_ADMIN_TOKEN>" }, 401);
  }
  return next();
};
