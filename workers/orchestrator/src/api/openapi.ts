// The orchestrator's public HTTP API as an OpenAPI 3.1 document, served at GET /openapi.json.
// Kept beside the routes (routes.ts) it describes; test/workers/orchestrator/api.test.ts
// checks that every public route is listed.

const json = (schema: object) => ({ "application/json": { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = (description: string) => ({ description, content: json(ref("Error")) });
const runId = { name: "run_id", in: "path", required: true, description: "Run id; sub-run ids (`run_x/step`) percent-encoded", schema: { type: "string" } };
const stepId = { name: "step_id", in: "path", required: true, schema: { type: "string" } };
const adminAuth = [{ adminToken: [] }, {}];

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "ktsu-workers orchestrator",
    version: "0.1.0",
    description:
      "Kimitsu-compatible HTTP API. When KTSU_ADMIN_TOKEN is set, /runs*, /approvals and approval decisions need `Authorization: Bearer <token>`; invokes use each workflow's invoke.auth.",
  },
  components: {
    securitySchemes: { adminToken: { type: "http", scheme: "bearer" } },
    schemas: {
      Error: { type: "object", required: ["error"], properties: { error: { type: "string" }, message: { type: "string" }, field: { type: "string" } } },
      Metrics: {
        type: "object",
        properties: {
          duration_ms: { type: "number" },
          tokens_in: { type: "integer" },
          tokens_out: { type: "integer" },
          cost_usd: { type: "number" },
          llm_calls: { type: "integer" },
          tool_calls: { type: "integer" },
          reflected: { type: "boolean" },
          reflect_calls: { type: "integer" },
        },
      },
      Run: {
        type: "object",
        required: ["id", "workflow_name", "status", "created_at", "updated_at"],
        properties: {
          id: { type: "string" },
          workflow_name: { type: "string" },
          status: { enum: ["running", "complete", "failed", "needs_human"] },
          created_at: { type: "string", format: "date-time" },
          updated_at: { type: "string", format: "date-time" },
          completed_at: { type: "string", format: "date-time" },
          error: { type: "string" },
          metadata: { type: "object", additionalProperties: { type: "string" } },
          payload: { type: "object" },
          parent_run_id: { type: "string" },
          cost_usd: { type: "number" },
        },
      },
      Step: {
        type: "object",
        required: ["id", "run_id", "name", "type", "status", "metrics"],
        properties: {
          id: { type: "string" },
          run_id: { type: "string" },
          name: { type: "string" },
          type: { enum: ["agent", "transform", "webhook", "workflow"] },
          status: { enum: ["running", "complete", "failed", "skipped", "pending_approval", "needs_human"] },
          seq: { type: "integer", description: "start order" },
          started_at: { type: "string", format: "date-time" },
          ended_at: { type: "string", format: "date-time" },
          error: { type: "string" },
          output: { type: "object" },
          raw_output: { type: "string" },
          validation_errors: { type: "array", items: { type: "object", properties: { path: { type: "string" }, message: { type: "string" } } } },
          metrics: ref("Metrics"),
          reflected: { type: "boolean" },
          pending_approval: ref("Approval"),
        },
      },
      Envelope: {
        type: "object",
        required: ["run_id", "workflow", "steps", "totals"],
        properties: {
          run_id: { type: "string" },
          workflow: { type: "string" },
          status: { type: "string" },
          error: { type: "string" },
          payload: { type: "object" },
          steps: {
            type: ["array", "null"],
            items: {
              type: "object",
              properties: {
                id: { type: "string" },
                output: { type: "object" },
                metrics: ref("Metrics"),
                timestamp: { type: "string" },
                status: { type: "string" },
                error: { type: "string" },
              },
            },
          },
          totals: ref("Metrics"),
          budget: {
            type: "object",
            description: "Budgeted runs only: the gateway's ledger",
            properties: {
              budget_usd: { type: "number" },
              spent_usd: { type: "number" },
              reserved_usd: { type: "number" },
              calls: { type: "integer" },
              rejected: { type: "integer" },
              by_step: { type: "object", additionalProperties: { type: "number" } },
            },
          },
        },
      },
      Approval: {
        type: "object",
        properties: {
          run_id: { type: "string" },
          step_id: { type: "string" },
          seq: { type: "integer" },
          tool_name: { type: "string" },
          tool_use_id: { type: "string" },
          arguments: { type: "object" },
          on_reject: { type: "string" },
          timeout_ms: { type: "integer" },
          timeout_behavior: { type: "string" },
          status: { enum: ["pending", "approved", "rejected", "timeout"] },
          created_at: { type: "string", format: "date-time" },
          decided_at: { type: "string", format: "date-time" },
          partial_metrics: ref("Metrics"),
        },
      },
    },
  },
  paths: {
    "/health": {
      get: {
        summary: "Aggregate health of the four Workers",
        responses: {
          "200": { description: "All ok", content: json({ type: "object", properties: { status: { const: "ok" }, services: { type: "object" } } }) },
          "503": { description: "A Worker is not ok", content: json({ type: "object" }) },
        },
      },
    },
    "/invoke/{workflow}": {
      post: {
        summary: "Start a run",
        parameters: [{ name: "workflow", in: "path", required: true, schema: { type: "string" } }],
        requestBody: { description: "The workflow's params (a JSON object; empty body = {}); at most 1 MiB", content: json({ type: "object" }) },
        responses: {
          "202": {
            description: "Accepted; the run record exists",
            content: json({ type: "object", properties: { run_id: { type: "string" }, status: { const: "accepted" } } }),
          },
          "400": error("Malformed JSON or not an object"),
          "401": error("invoke.auth refused the request"),
          "404": error("Unknown workflow, or visibility: sub-workflow"),
          "413": error("Body over 1 MiB"),
          "422": error("A param is missing or invalid (no run is created)"),
          "500": error("invoke.auth is misconfigured"),
        },
      },
    },
    "/enqueue/{workflow}": {
      post: {
        summary: "Queue a run (same checks as /invoke); the run id derives from Idempotency-Key",
        parameters: [
          { name: "workflow", in: "path", required: true, schema: { type: "string" } },
          { name: "Idempotency-Key", in: "header", required: false, schema: { type: "string" } },
        ],
        requestBody: { content: json({ type: "object" }) },
        responses: {
          "202": {
            description: "Queued",
            content: json({ type: "object", properties: { run_id: { type: "string" }, status: { const: "queued" }, idempotency_key: { type: "string" } } }),
          },
          "400": error("Malformed body"),
          "401": error("invoke.auth refused the request"),
          "404": error("Unknown workflow"),
          "422": error("Invalid params"),
        },
      },
    },
    "/runs": {
      get: {
        summary: "List runs, newest first",
        security: adminAuth,
        parameters: [
          { name: "workflow", in: "query", schema: { type: "string" } },
          { name: "status", in: "query", schema: { type: "string" } },
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, default: 50 } },
        ],
        responses: {
          "200": { description: "Runs", content: json({ type: "object", properties: { runs: { type: "array", items: ref("Run") } } }) },
          "401": error("Admin token required"),
        },
      },
    },
    "/runs/{run_id}": {
      get: {
        summary: "A run and its steps (in start order)",
        security: adminAuth,
        parameters: [runId],
        responses: {
          "200": {
            description: "The run",
            content: json({ type: "object", properties: { run: ref("Run"), steps: { type: ["array", "null"], items: ref("Step") } } }),
          },
          "404": error("run not found"),
        },
      },
    },
    "/runs/{run_id}/envelope": {
      get: {
        summary: "The assembled envelope",
        security: adminAuth,
        parameters: [runId],
        responses: { "200": { description: "Envelope", content: json(ref("Envelope")) }, "404": error("run not found") },
      },
    },
    "/runs/{run_id}/events": {
      get: {
        summary: "The run's events as Server-Sent Events (id = sequence number), live until the run ends; resumable with Last-Event-ID",
        security: adminAuth,
        parameters: [runId, { name: "Last-Event-ID", in: "header", schema: { type: "string" } }],
        responses: {
          "200": { description: "text/event-stream", content: { "text/event-stream": { schema: { type: "string" } } } },
          "404": error("run not found"),
        },
      },
    },
    "/runs/{run_id}/steps/{step_id}/approval": {
      get: {
        summary: "A step's newest approval",
        security: adminAuth,
        parameters: [runId, stepId],
        responses: { "200": { description: "Approval", content: json(ref("Approval")) }, "404": error("approval not found") },
      },
    },
    "/runs/{run_id}/steps/{step_id}/approval/decide": {
      post: {
        summary: "Approve or reject a pending approval",
        security: adminAuth,
        parameters: [runId, stepId],
        requestBody: {
          required: true,
          content: json({ type: "object", required: ["decision"], properties: { decision: { enum: ["approved", "rejected"] } } }),
        },
        responses: {
          "200": { description: "Decided (empty body)" },
          "400": error('decision must be "approved" or "rejected"'),
          "404": error("approval not found"),
          "409": error("approval already decided"),
          "500": error("failed to dispatch resume"),
        },
      },
    },
    "/approvals": {
      get: {
        summary: "Pending approvals across runs",
        security: adminAuth,
        responses: { "200": { description: "A bare array", content: json({ type: "array", items: ref("Approval") }) } },
      },
    },
    "/": { get: { summary: "Redirects a browser to the run viewer at /ui/", responses: { "302": { description: "To /ui/" } } } },
    "/workflows": {
      get: {
        summary: "The project's workflows (for the run viewer)",
        security: adminAuth,
        responses: { "200": { description: "Workflows", content: json({ type: "object" }) } },
      },
    },
    "/workflows/{name}/graph": {
      get: {
        summary: "A workflow's DAG: nodes with their type, dependencies and a one-line description",
        security: adminAuth,
        parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
        responses: { "200": { description: "The graph", content: json({ type: "object" }) }, "404": error("workflow not found") },
      },
    },
    "/openapi.json": { get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1", content: json({ type: "object" }) } } } },
  },
} as const;
