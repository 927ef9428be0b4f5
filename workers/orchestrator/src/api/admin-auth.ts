import type { MiddlewareHandler } from "hono";
import { sameSecret } from "../../../../shared/util/constant-time.ts";
import type { OrchestratorEnv } from "../env.ts";

/**
 * When `KTSU_ADMIN_TOKEN` is set, reading runs, their events and approvals, and
 * deciding approvals need `Authorization: Bearer <token>` (the original had no
 * auth on `/runs`). Invokes keep the per-workflow `invoke.auth`; `/health` stays open.
 */
export const requireAdminToken: MiddlewareHandler<{ Bindings: OrchestratorEnv }> = async (c, next) => {
  const token = c.env.KTSU_ADMIN_TOKEN;
  if (typeof token !== "string" || token === "") return next();
  const header = c.req.header("authorization") ?? "";
  const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
  if (given === "" || !(await sameSecret(given, token))) {
    return c.json({ error: "unauthorized", message: "this route needs the admin token: Authorization: Bearer <KTSU_ADMIN_TOKEN>" }, 401);
  }
  return next();
};
