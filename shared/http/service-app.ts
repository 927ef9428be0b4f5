import { Hono } from "hono";
import type { Env as HonoEnv, Handler } from "hono";
import { HTTPException } from "hono/http-exception";

/** JSON error body used by every Worker: `{"error": <type>, "message": <text>}`. */
export interface ErrorBody {
  error: string;
  message: string;
}

/**
 * A Hono app with the conventions every ktsu Worker shares: `GET /health`
 * (`{"status":"ok"}` unless the Worker reports more),
 * JSON 404s, and JSON 500s that never echo internal details beyond the message.
 */
export function createServiceApp<E extends HonoEnv>(service: string, health?: Handler<E>): Hono<E> {
  const app = new Hono<E>();
  app.get("/health", health ?? ((c) => c.json({ status: "ok" })));
  app.notFound((c) => c.json<ErrorBody>({ error: "not_found", message: `${service}: no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      return c.json<ErrorBody>({ error: "http_error", message: err.message }, err.status);
    }
    console.error(`${service}: unhandled error`, err);
    return c.json<ErrorBody>({ error: "internal_error", message: err.message }, 500);
  });
  return app;
}
