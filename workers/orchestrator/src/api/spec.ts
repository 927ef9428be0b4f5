// Every route of the orchestrator's public API, declared once: its request schemas (which the
// app validates with, routes.ts / ui-routes.ts) and a response schema for each status it can
// answer. The OpenAPI document (document.ts) is generated from this list.
import { createRoute, z } from "@hono/zod-openapi";
import { RunEventSchema } from "../../../../shared/contracts/schemas/events.ts";
import { ApprovalRecordSchema, ServedEnvelopeSchema } from "../../../../shared/contracts/schemas/records.ts";
import { WorkflowGraphSchema } from "../../../../shared/contracts/schemas/workflows.ts";
import { MAX_BODY_BYTES } from "./body.ts";
import {
  CancelledSchema,
  DecisionSchema,
  EnqueueAcceptedSchema,
  EnqueueHeadersSchema,
  TraceHeadersSchema,
  ErrorSchema,
  EventsHeadersSchema,
  EventsQuerySchema,
  HealthSchema,
  InvokeAcceptedSchema,
  InvokeParamsSchema,
  ItemPageSchema,
  ItemsQuerySchema,
  MAX_RUN_LIST_LIMIT,
  NameParamSchema,
  RunListQuerySchema,
  RunListSchema,
  RunParamSchema,
  RunViewSchema,
  StepParamSchema,
  WorkflowListSchema,
  WorkflowParamSchema,
} from "./schemas.ts";

const json = <S extends z.ZodType>(schema: S) => ({ "application/json": { schema } });
const error = (description: string) => ({ description, content: json(ErrorSchema) });

/** Open to anyone (invokes check their workflow's own `invoke.auth`). */
const PUBLIC: Array<Record<string, string[]>> = [];
/**
 * Needs `Authorization: Bearer <KTSU_ADMIN_TOKEN>`. Without a configured token every request is
 * refused, except on the local stack started without `--secure` (KTSU_ADMIN_OPEN), which is open.
 */
const ADMIN: Array<Record<string, string[]>> = [{ adminToken: [] }];
const unauthorized = error(
  "The request does not carry the admin token (the scheme `bearer` is case-insensitive), or no token is configured: then every request is refused and the message says how to set one",
);

const MIB = MAX_BODY_BYTES / (1024 * 1024);

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags: ["service"],
  summary: "Aggregate health of the four Workers",
  security: PUBLIC,
  responses: {
    200: { description: "Every Worker is ok", content: json(HealthSchema) },
    503: { description: "A Worker is not ok (`status` is `error`)", content: json(HealthSchema) },
  },
});

const invokeErrors = {
  400: error("Malformed JSON, bytes that are not UTF-8, a number out of range (`field` names it), or the body is not a JSON object"),
  401: error('The workflow\'s invoke.auth refused the request: the body is `{"error":"unauthorized"}`'),
  404: error("Unknown workflow, or a `visibility: sub-workflow` one"),
  413: error(`Body over ${MIB} MiB`),
  422: error("A param is missing or invalid; `field` names it and no run is created"),
  500: error("The workflow's invoke.auth is misconfigured (its secret does not resolve)"),
};

const paramsBody = {
  description: `The workflow's params: a JSON object of at most ${MIB} MiB; an empty body is {}`,
  required: false,
  content: json(InvokeParamsSchema),
};

export const invokeRoute = createRoute({
  method: "post",
  path: "/invoke/{workflow}",
  operationId: "invokeWorkflow",
  tags: ["runs"],
  summary: "Start a run",
  security: PUBLIC,
  request: { params: WorkflowParamSchema, headers: TraceHeadersSchema, body: paramsBody },
  responses: {
    202: { description: "Accepted; the run record exists", content: json(InvokeAcceptedSchema) },
    ...invokeErrors,
  },
});

export const enqueueRoute = createRoute({
  method: "post",
  path: "/enqueue/{workflow}",
  operationId: "enqueueWorkflow",
  tags: ["runs"],
  summary: "Queue a run (the checks of /invoke); its id derives from the Idempotency-Key",
  security: PUBLIC,
  request: { params: WorkflowParamSchema, headers: EnqueueHeadersSchema, body: paramsBody },
  responses: {
    202: { description: "Queued", content: json(EnqueueAcceptedSchema) },
    ...invokeErrors,
    409: error("The Idempotency-Key was already used (for this workflow and credential) with a different request body"),
  },
});

export const listRunsRoute = createRoute({
  method: "get",
  path: "/runs",
  operationId: "listRuns",
  tags: ["runs"],
  summary: "List runs, newest first",
  security: ADMIN,
  request: { query: RunListQuerySchema },
  responses: {
    200: { description: "The runs", content: json(RunListSchema) },
    400: error(`\`limit\` is not an integer from 1 to ${MAX_RUN_LIST_LIMIT} (\`field\` names it)`),
    401: unauthorized,
  },
});

export const getRunRoute = createRoute({
  method: "get",
  path: "/runs/{run_id}",
  operationId: "getRun",
  tags: ["runs"],
  summary: "A run and its steps (in start order); a suspended step shows the approval it waits for",
  security: ADMIN,
  request: { params: RunParamSchema },
  responses: { 200: { description: "The run", content: json(RunViewSchema) }, 401: unauthorized, 404: error("run not found") },
});

export const envelopeRoute = createRoute({
  method: "get",
  path: "/runs/{run_id}/envelope",
  operationId: "getRunEnvelope",
  tags: ["runs"],
  summary: "The assembled envelope: settled steps' outputs and metrics, totals, and the gateway's ledger for budgeted runs",
  security: ADMIN,
  request: { params: RunParamSchema },
  responses: { 200: { description: "The envelope", content: json(ServedEnvelopeSchema) }, 401: unauthorized, 404: error("run not found") },
});

export const itemsRoute = createRoute({
  method: "get",
  path: "/runs/{run_id}/steps/{step_id}/items",
  operationId: "listFanoutItems",
  tags: ["runs"],
  summary: "A fanout step's items, page by page",
  description:
    "Each item's status and output (or error) in index order, from the run's own state: the way to read fanout results " +
    'too large for the step\'s record (its output is then `{"results_paged": {"items", "bytes"}}`). Follow `next_cursor` until it is null.',
  security: ADMIN,
  request: { params: StepParamSchema, query: ItemsQuerySchema },
  responses: {
    200: { description: "A page of items", content: json(ItemPageSchema) },
    400: error("A cursor that no page gave (not digits, or past the last item), or a limit out of range"),
    401: unauthorized,
    404: error("Unknown run, a step the run's workflow does not have, or a step that is not a fanout"),
  },
});

export const eventsRoute = createRoute({
  method: "get",
  path: "/runs/{run_id}/events",
  operationId: "streamRunEvents",
  tags: ["runs"],
  summary: "The run's events as Server-Sent Events, live until the run ends",
  description:
    "Each event has `id:` its sequence number, `event:` its type and `data:` one RunEvent (components/schemas/RunEvent) as JSON. " +
    "Resumable: `Last-Event-ID` (or `?after=`) sends only the later events.",
  security: ADMIN,
  request: { params: RunParamSchema, query: EventsQuerySchema, headers: EventsHeadersSchema },
  responses: {
    200: {
      description: "A text/event-stream whose `data:` lines are RunEvent objects",
      content: { "text/event-stream": { schema: z.string().openapi({ description: "Server-Sent Events; each `data:` is a RunEvent" }) } },
    },
    400: error("`Last-Event-ID` or `after` is not an event sequence number (`field` names it)"),
    401: unauthorized,
    404: error("run not found"),
  },
});

export const cancelRunRoute = createRoute({
  method: "post",
  path: "/runs/{run_id}/cancel",
  operationId: "cancelRun",
  tags: ["runs"],
  summary:
    "Cancels a run that is running or waiting on a human: its agent steps' LLM and tool calls in flight are aborted and no other starts, its sub-runs are cancelled, its pending approvals close, its unsent webhooks are never sent; the run ends `cancelled` (event `run_cancelled`)",
  security: ADMIN,
  request: { params: RunParamSchema },
  responses: {
    200: { description: "Cancelled: every step that was still running has been stopped", content: json(CancelledSchema) },
    401: unauthorized,
    404: error("run not found"),
    409: error("The run already ended: `run already cancelled`, or `run already ended (complete)` (or `failed`)"),
  },
});

export const approvalRoute = createRoute({
  method: "get",
  path: "/runs/{run_id}/steps/{step_id}/approval",
  operationId: "getStepApproval",
  tags: ["approvals"],
  summary: "A step's newest approval",
  security: ADMIN,
  request: { params: StepParamSchema },
  responses: { 200: { description: "The approval", content: json(ApprovalRecordSchema) }, 401: unauthorized, 404: error("approval not found") },
});

export const decideRoute = createRoute({
  method: "post",
  path: "/runs/{run_id}/steps/{step_id}/approval/decide",
  operationId: "decideStepApproval",
  tags: ["approvals"],
  summary: "Approve or reject a pending approval",
  security: ADMIN,
  request: { params: StepParamSchema, body: { required: true, content: json(DecisionSchema) } },
  responses: {
    200: { description: "Decided (empty body)" },
    400: error('decision must be "approved" or "rejected" (also for a malformed body)'),
    401: unauthorized,
    404: error("approval not found"),
    409: error("approval already decided"),
    500: error("the decision could not be applied"),
  },
});

export const pendingApprovalsRoute = createRoute({
  method: "get",
  path: "/approvals",
  operationId: "listPendingApprovals",
  tags: ["approvals"],
  summary: "Pending approvals across runs, oldest first (a bare array)",
  security: ADMIN,
  responses: { 200: { description: "The pending approvals", content: json(z.array(ApprovalRecordSchema)) }, 401: unauthorized },
});

export const rootRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "openViewer",
  tags: ["viewer"],
  summary: "Sends a browser to the run viewer at /ui/",
  security: PUBLIC,
  responses: {
    302: { description: "To /ui/", headers: z.object({ location: z.literal("/ui/").openapi({ description: "/ui/" }) }) },
  },
});

export const workflowsRoute = createRoute({
  method: "get",
  path: "/workflows",
  operationId: "listWorkflows",
  tags: ["viewer"],
  summary: "The project's workflows (for the run viewer)",
  security: ADMIN,
  responses: { 200: { description: "The workflows", content: json(WorkflowListSchema) }, 401: unauthorized },
});

export const workflowGraphRoute = createRoute({
  method: "get",
  path: "/workflows/{name}/graph",
  operationId: "getWorkflowGraph",
  tags: ["viewer"],
  summary: "A workflow's DAG: nodes with their type, dependencies and a one-line description",
  security: ADMIN,
  request: { params: NameParamSchema },
  responses: { 200: { description: "The graph", content: json(WorkflowGraphSchema) }, 401: unauthorized, 404: error("workflow not found") },
});

export const documentRoute = createRoute({
  method: "get",
  path: "/openapi.json",
  operationId: "getOpenApiDocument",
  tags: ["service"],
  summary: "This document (OpenAPI 3.1)",
  security: PUBLIC,
  responses: { 200: { description: "The OpenAPI document", content: json(z.record(z.string(), z.unknown())) } },
});

/** The routes whose answer reads or writes the Store (D1), directly or through the run's Durable Object. */
const STORE_ROUTES = new Set([
  "invokeWorkflow",
  "enqueueWorkflow",
  "listRuns",
  "getRun",
  "getRunEnvelope",
  "streamRunEvents",
  "getStepApproval",
  "decideStepApproval",
  "listPendingApprovals",
]);

type Responses = NonNullable<Parameters<typeof createRoute>[0]["responses"]>;

const HOST_REFUSAL = "the Host header is malformed, or not a name the local stack serves (loopback names and `--host`)";

/**
 * A route as the document shows it: with the answers the app gives before or around every
 * handler (app.ts, request-guards.ts): 400 for a bad Host, 403 for a state-changing request
 * from another origin, and on routes that use the Store 503 while it is not migrated and 500
 * (with a request id, never the cause) for an unexpected failure.
 */
function withGuardResponses<R extends Parameters<typeof createRoute>[0]>(route: R): R {
  const responses: Responses = { ...route.responses };
  const given400 = responses[400] as { description: string } | undefined;
  responses[400] = given400 ? { ...given400, description: `${given400.description}; or ${HOST_REFUSAL}` } : error(`The request was refused: ${HOST_REFUSAL}`);
  if (route.method === "post") responses[403] = error("A cross-site request: its Origin (or Sec-Fetch-Site) names another origin");
  if (route.operationId && STORE_ROUTES.has(route.operationId)) {
    responses[503] = error("The Store is not ready (`not_ready`): its D1 migrations are not applied, or D1 does not answer");
    const given500 = responses[500] as { description: string } | undefined;
    const internal = "an unexpected failure (`internal_error`): `request_id` names the log entry with the details";
    responses[500] = given500 ? { ...given500, description: `${given500.description}; or ${internal}` } : error(`An unexpected failure: ${internal}`);
  }
  return { ...route, responses };
}

/** Every public route, in the document's order. */
export const API_ROUTES = [
  healthRoute,
  invokeRoute,
  enqueueRoute,
  listRunsRoute,
  getRunRoute,
  envelopeRoute,
  itemsRoute,
  eventsRoute,
  cancelRunRoute,
  approvalRoute,
  decideRoute,
  pendingApprovalsRoute,
  rootRoute,
  workflowsRoute,
  workflowGraphRoute,
  documentRoute,
].map(withGuardResponses);

/** Schemas the document names although no response refers to them: the SSE `data:` payload. */
export const NAMED_SCHEMAS = { RunEvent: RunEventSchema };
