// The public API's own request and response schemas: the wrappers around the shared records
// (shared/contracts/schemas/), the error body and the route parameters. The same zod objects
// validate requests and describe the API in its OpenAPI document (spec.ts).
import { z } from "@hono/zod-openapi";
import { ApprovalRecordSchema, RunRecordSchema, StepRecordSchema } from "../../../../shared/contracts/schemas/records.ts";
import { WorkflowSummarySchema } from "../../../../shared/contracts/schemas/workflows.ts";
import { MAX_RUN_LIST_LIMIT } from "../../../../shared/contracts/run-list.ts";
import { StepMetricsSchema } from "../../../../shared/contracts/schemas/metrics.ts";
import { StepCallSchema } from "../../../../shared/contracts/schemas/runtime.ts";
import { DEFAULT_ITEM_PAGE_LIMIT, MAX_ITEM_PAGE_LIMIT } from "../run/item-pages.ts";

/** Every error answer: `error` is a word, `message` the text; 422 also names the `field`; invoke's 401 is `{"error":"unauthorized"}` alone. */
export const ErrorSchema = z
  .object({
    error: z.string(),
    message: z.string().optional(),
    field: z.string().optional(),
    request_id: z.string().optional().openapi({ description: "On an internal error: the id the orchestrator logged the details under" }),
  })
  .meta({ id: "Error", description: "An error: `error` is a word (not_found, invalid_request, invalid_input, unauthorized, …), `message` says what" });

const ServiceHealthSchema = z.enum(["ok", "unhealthy", "down"]);

export const HealthSchema = z
  .object({
    status: z.enum(["ok", "error"]),
    services: z.object({
      orchestrator: z.literal("ok"),
      store: z.enum(["ok", "not_migrated", "down"]),
      runtime: ServiceHealthSchema,
      gateway: ServiceHealthSchema,
      tools: ServiceHealthSchema,
    }),
  })
  .meta({
    id: "Health",
    description:
      "Each Worker's `GET /health`: ok, unhealthy (answered but not 200) or down (no answer within 2 s); " +
      "`store`: ok, not_migrated (the D1 migrations are not all applied) or down (D1 did not answer)",
  });

export const WorkflowParamSchema = z.object({
  workflow: z.string().openapi({ param: { name: "workflow", in: "path" }, description: "The workflow's invoke name" }),
});

export const RunParamSchema = z.object({
  run_id: z.string().openapi({ param: { name: "run_id", in: "path" }, description: "Run id; sub-run ids (`run_x/step`) percent-encoded" }),
});

export const StepParamSchema = RunParamSchema.extend({
  step_id: z.string().openapi({ param: { name: "step_id", in: "path" } }),
});

export const NameParamSchema = z.object({
  name: z.string().openapi({ param: { name: "name", in: "path" }, description: "The workflow's invoke name, YAML name or bundle key" }),
});

/** The params of a run: any JSON object (the workflow's `params.schema` checks it, answering 422). An empty body is `{}`. */
export const InvokeParamsSchema = z.record(z.string(), z.unknown()).openapi({ description: "The workflow's params; an empty body is `{}`" });

/** W3C trace context of the caller: the run's span becomes a child of the caller's span, in its trace. */
const traceparentHeader = z
  .string()
  .optional()
  .openapi({
    param: { name: "traceparent", in: "header" },
    description: "W3C trace context (`00-<trace id>-<span id>-<flags>`): the run's spans join the caller's trace. Ignored when malformed",
  });

export const TraceHeadersSchema = z.object({ traceparent: traceparentHeader });

export const EnqueueHeadersSchema = z.object({
  traceparent: traceparentHeader,
  "idempotency-key": z
    .string()
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description:
        "Retries with the same key and the same body name the same run; the same key with another body is a 409. A key counts within " +
        "the workflow and the caller's invoke.auth credential. A random key when absent",
    }),
});

export const InvokeAcceptedSchema = z.object({ run_id: z.string(), status: z.literal("accepted") });
export const CancelledSchema = z.object({ run_id: z.string(), status: z.literal("cancelled") });
export const EnqueueAcceptedSchema = z.object({ run_id: z.string(), status: z.literal("queued"), idempotency_key: z.string() });

const firstValue = (value: unknown) => (Array.isArray(value) ? value[0] : value);

/** A query parameter given more than once counts with its first value (as `c.req.query` reads it), never a 400. */
const queryParam = () => z.preprocess(firstValue, z.string().optional());

/** `GET /runs` lists this many runs when `limit` is not given, and never more than MAX_RUN_LIST_LIMIT. */
export const DEFAULT_RUN_LIST_LIMIT = 50;
export { MAX_RUN_LIST_LIMIT };

/** An event's sequence number as a client sends it back: digits only (a word would replay everything). */
const EVENT_SEQ = /^\d{1,15}$/;
const eventSeq = () => z.string().regex(EVENT_SEQ, "must be an event sequence number (a non-negative integer)");

export const RunListQuerySchema = z.object({
  workflow: queryParam().openapi({ param: { name: "workflow", in: "query" }, description: "Only runs of this workflow" }),
  status: queryParam().openapi({ param: { name: "status", in: "query" }, description: "Only runs with this status" }),
  limit: z
    .preprocess(
      firstValue,
      z
        .string()
        .regex(/^[1-9]\d{0,3}$/, `must be an integer from 1 to ${MAX_RUN_LIST_LIMIT}`)
        .refine((value) => Number(value) <= MAX_RUN_LIST_LIMIT, `must be an integer from 1 to ${MAX_RUN_LIST_LIMIT}`)
        .optional(),
    )
    .openapi({
      param: { name: "limit", in: "query" },
      description: `At most this many runs: an integer from 1 to ${MAX_RUN_LIST_LIMIT}, default ${DEFAULT_RUN_LIST_LIMIT}; any other value is a 400`,
      example: "50",
    }),
});

export const RunListSchema = z.object({ runs: z.array(RunRecordSchema) });

/** A step as `GET /runs/{id}` shows it: a suspended step also shows the approval it waits for. */
export const RunStepSchema = StepRecordSchema.extend({ pending_approval: ApprovalRecordSchema.nullable().optional() }).meta({ id: "Step" });

export const RunViewSchema = z.object({
  run: RunRecordSchema,
  steps: z.array(RunStepSchema).nullable().describe("In start order; null before any step started"),
});

export const EventsQuerySchema = z.object({
  after: z.preprocess(firstValue, eventSeq().optional()).openapi({
    param: { name: "after", in: "query" },
    description: "Send the events after this sequence number (default 0); `Last-Event-ID` wins when both are given; anything but digits is a 400",
  }),
});

export const EventsHeadersSchema = z.object({
  "last-event-id": eventSeq()
    .optional()
    .openapi({ param: { name: "last-event-id", in: "header" }, description: "Resume after this event id (an event's `seq`); anything but digits is a 400" }),
});

/** A fanout item page's cursor: the index of its first item, as a previous page's `next_cursor` gave it. */
const ITEM_CURSOR = /^\d{1,9}$/;

export const ItemsQuerySchema = z.object({
  cursor: z.preprocess(firstValue, z.string().regex(ITEM_CURSOR, "must be a next_cursor from a previous page").optional()).openapi({
    param: { name: "cursor", in: "query" },
    description: "The `next_cursor` of the previous page; absent for the first page. Anything else, or a cursor past the last item, is a 400",
  }),
  limit: z
    .preprocess(
      firstValue,
      z
        .string()
        .regex(/^[1-9]\d{0,3}$/, `must be an integer from 1 to ${MAX_ITEM_PAGE_LIMIT}`)
        .refine((value) => Number(value) <= MAX_ITEM_PAGE_LIMIT, `must be an integer from 1 to ${MAX_ITEM_PAGE_LIMIT}`)
        .optional(),
    )
    .openapi({
      param: { name: "limit", in: "query" },
      description: `At most this many items: 1 to ${MAX_ITEM_PAGE_LIMIT}, default ${DEFAULT_ITEM_PAGE_LIMIT}. A page also ends after about 1 MiB of outputs`,
      example: "100",
    }),
  calls: z.preprocess(firstValue, z.enum(["true", "false"]).optional()).openapi({
    param: { name: "calls", in: "query" },
    description: "`true`: each item also carries its LLM and tool call records (`calls`), counted in the page's size",
    example: "true",
  }),
});

export const FanoutItemSchema = z
  .object({
    index: z.number().int().describe("The item's position in the `for_each.from` array"),
    status: z.enum(["pending", "running", "ok", "failed"]),
    output: z.record(z.string(), z.unknown()).optional().describe("An `ok` item's output: its entry in the step's `results`"),
    error: z.string().optional().describe("A `failed` item's error"),
    metrics: StepMetricsSchema.optional(),
    calls: z
      .array(StepCallSchema)
      .optional()
      .describe("With `calls=true`: the item's LLM and tool calls, with the request fingerprints, replies and tool results a replay answers it from"),
  })
  .meta({ id: "FanoutItem" });

export const ItemPageSchema = z
  .object({
    step_id: z.string(),
    total: z.number().int().describe("Items of the fanout; 0 before it started"),
    items: z.array(FanoutItemSchema).describe("In index order"),
    next_cursor: z.string().nullable().describe("Pass as `cursor` for the next page; null after the last item"),
  })
  .meta({ id: "FanoutItemPage" });

export const DecisionSchema = z.object({ decision: z.enum(["approved", "rejected"]) });

export const WorkflowListSchema = z.object({ workflows: z.array(WorkflowSummarySchema) });
