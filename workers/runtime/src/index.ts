import type { InvokeAccepted } from "../../../shared/contracts/runtime.ts";
import { createServiceApp } from "../../../shared/http/service-app.ts";
import type { RuntimeEnv } from "./env.ts";
import { parseInvokeRequest } from "./invoke-request.ts";
import { runStep } from "./step.ts";

const app = createServiceApp<{ Bindings: RuntimeEnv }>("runtime");

// Spec §6.1: validate, answer 202 at once, run the loop in the background.
app.post("/invoke", async (c) => {
  const parsed = parseInvokeRequest(await c.req.text());
  // Go answers through http.Error: a JSON text with a text/plain content type.
  if (!parsed.ok) return c.text(JSON.stringify(parsed.body), 400);
  const { request, received } = parsed;
  c.executionCtx.waitUntil(
    runStep(c.env, request, received).catch((err: unknown) => console.error(`runtime: step ${request.run_id}/${request.step_id} crashed`, err)),
  );
  return c.json<InvokeAccepted>({ run_id: request.run_id, step_id: request.step_id, status: "accepted" }, 202);
});

export default app;
