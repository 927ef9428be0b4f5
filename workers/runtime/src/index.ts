import type { InvokeAccepted } from "../../../shared/contracts/runtime.ts";
import { createServiceApp } from "../../../shared/http/service-app.ts";
import type { RuntimeEnv } from "./env.ts";
import { parseInvokeRequest } from "./invoke-request.ts";
import { runStep, stepScrubber } from "./step.ts";

const app = createServiceApp<{ Bindings: RuntimeEnv }>("runtime");

// Validate, answer 202 at once, run the loop in the background.
app.post("/invoke", async (c) => {
  const parsed = parseInvokeRequest(await c.req.text());
  // Go answers through http.Error: a JSON text with a text/plain content type.
  if (!parsed.ok) return c.text(JSON.stringify(parsed.body), 400);
  const { request, received } = parsed;
  const scrub = stepScrubber(request);
  c.executionCtx.waitUntil(
    runStep(c.env, request, received, scrub).catch((err: unknown) =>
      // Logged as masked text: the error may quote the step's credentials.
      console.error(
        scrub.text(`runtime: step ${request.run_id}/${request.step_id} crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
      ),
    ),
  );
  return c.json<InvokeAccepted>({ run_id: request.run_id, step_id: request.step_id, status: "accepted" }, 202);
});

export default app;
