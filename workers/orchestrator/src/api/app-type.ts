import type { OpenAPIHono } from "@hono/zod-openapi";
import type { OrchestratorEnv } from "../env.ts";

/** The orchestrator's Hono app, as the modules that register routes on it see it. */
export type OrchestratorApp = OpenAPIHono<{ Bindings: OrchestratorEnv }>;
