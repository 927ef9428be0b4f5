import { Hono } from "hono";
import type { Context, ErrorHandler, Env as HonoEnv, Handler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";

/** JSON error body used by every Worker: `{"error": <type>, "message": <text>}`. */
export interface ErrorBody {
  error: string;
  message: string;
  /** On a hidden internal error: the id its details were logged under. */
  request_id?: string;
}

export interface ServiceConventionOptions {
  /**
   * Answer an unhandled error with a request id instead of its message (which can hold SQL or
   * other internals): the Worker's log has the details under that id. For public APIs.
   */
  hideInternalErrors?: boolean;
  /** Asked before such a 500: a more telling answer of its own (503 while the Store is not ready), or null. */
  explainFailure?: (c: Context) => Promise<Response | null>;
}

/**
 * What the log keeps of a hidden error: its message, stack and causes, with the bound values of a
 * failed query withheld (drizzle puts them on a `params:` line; they can hold a run's params).
 */
function loggedDetail(err: Error): string {
  const parts: string[] = [];
  for (let at: unknown = err, depth = 0; at instanceof Error && depth < 5; at = at.cause, depth++) parts.push(at.stack ?? `${at.name}: ${at.message}`);
  return parts.join("\ncaused by: ").replace(/\nparams: [^\n]*/g, "\nparams: (withheld)");
}

/** The id an error is logged and answered with: Cloudflare's ray id when there is one, so both logs agree. */
function requestId(c: Context): string {
  return c.req.header("cf-ray") ?? crypto.randomUUID();
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
 * JSON 404s, and JSON 500s that never echo internal details beyond the message (nor the
 * message either with `hideInternalErrors`), on any Hono app (also an OpenAPIHono, which
 * declares its own routes).
 */
export function withServiceConventions<A extends { notFound(handler: NotFoundHandler): unknown; onError(handler: ErrorHandler): unknown }>(
  app: A,
  service: string,
  options: ServiceConventionOptions = {},
): A {
  app.notFound((c) => c.json<ErrorBody>({ error: "not_found", message: `${service}: no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError(async (err, c) => {
    if (err instanceof HTTPException) {
      return c.json<ErrorBody>({ error: "http_error", message: err.message }, err.status);
    }
    if (!options.hideInternalErrors) {
      console.error(`${service}: unhandled error`, err);
      return c.json<ErrorBody>({ error: "internal_error", message: err.message }, 500);
    }
    const id = requestId(c);
    console.error(`${service}: unhandled error (request ${id}): ${loggedDetail(err)}`);
    const explained = await options.explainFailure?.(c).catch(() => null);
    if (explained) return explained;
    return c.json<ErrorBody>(
      { error: "internal_error", message: `internal error; the ${service} log has the details under request id ${id}`, request_id: id },
      500,
    );
  });
  return app;
}
