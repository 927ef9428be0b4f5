import { Hono } from "hono";
import type { ErrorHandler, Env as HonoEnv, Handler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";

/** JSON error body used by every Worker: `{"error": <type>, "message": <text>}`. */
export interface ErrorBody {
  error: string;
  message: string;
}

/**
 * A Hono app with the conventions every ktsu Worker shares: `GET /health`
 * (`{"status":"ok"}` unless the Worker reports more), and the error answers of
 * `withServiceConventions`.
 */
export function createServiceApp<E extends HonoEnv>(service: string, health?: Handler<E>): Hono<E> {
  const app = withServiceConventions(new Hono<E>(), service);
  app.get("/health", health ?? ((c) => c.json({ status: "ok" })));
  return app;
}

/**
 * JSON 404s, and JSON 500s that never echo internal details beyond the message, on any
 * Hono app (also an OpenAPIHono, which declares its own routes).
 */
export function withServiceConventions<A extends { notFound(handler: NotFoundHandler): unknown; onError(handler: ErrorHandler): unknown }>(
  app: A,
  service: string,
): A {
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
