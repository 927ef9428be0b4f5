// The gateway's budget report as a zod schema (shared/contracts/gateway.ts derives BudgetReport).
import { z } from "zod";

/** `GET /budget/:run_id` 200 body. A run the gateway never saw reports zeros. */
export const BudgetReportSchema = z.object({
  run_id: z.string(),
  budget_usd: z.number().describe("The latest positive `cost_budget_usd` seen for the run; 0 = not limited"),
  spent_usd: z.number().describe("Settled cost of every successful provider call"),
  reserved_usd: z.number().describe("Held by calls in flight"),
  calls: z.number().int().describe("Successful provider calls"),
  rejected: z.number().int().describe("Calls refused by the budget without reaching a provider"),
  by_step: z.record(z.string(), z.number()).describe("Settled cost per step id"),
});

// `POST /invoke` (an LLM call). The gateway validates the request with these schemas; its
// messages are `<field> <what is wrong>` (parse.ts), naming the field. An optional field sent
// as null counts as absent.

const absentIfNull = <S extends z.ZodType>(schema: S) => schema.nullish().transform((value) => value ?? undefined);
const text = (what = "must be a string") => z.string({ error: what });
const jsonObject = (what: string) => z.record(z.string(), z.unknown(), { error: what });

export const GatewayRoleSchema = z.enum(["system", "user", "assistant", "tool"], { error: "must be one of system, user, assistant, tool" });

/** A tool call as the model asked for it; `arguments` is always a JSON object. */
export const GatewayToolCallSchema = z.object(
  {
    id: text(),
    name: text("must be a non-empty string").min(1, { error: "must be a non-empty string" }),
    arguments: absentIfNull(jsonObject("must be an object")).transform((value) => value ?? {}),
  },
  { error: "must be an object" },
);

/**
 * One conversation message. Assistant turns may carry `tool_calls`; a `tool`
 * message answers the call named by `tool_call_id` with `content` as its result.
 */
export const GatewayMessageSchema = z
  .object(
    {
      role: GatewayRoleSchema,
      content: absentIfNull(text()),
      tool_calls: absentIfNull(z.array(GatewayToolCallSchema, { error: "must be an array" })),
      tool_call_id: absentIfNull(text()),
    },
    { error: "must be an object" },
  )
  .superRefine((message, ctx) => {
    if (message.role === "tool" && !message.tool_call_id) ctx.addIssue({ code: "custom", path: ["tool_call_id"], message: "is required for a tool message" });
  });

/** A tool the model may call; `input_schema` is a JSON Schema object. */
export const GatewayToolSchema = z.object(
  {
    name: text("must be a non-empty string").min(1, { error: "must be a non-empty string" }),
    description: absentIfNull(text()).transform((value) => value ?? ""),
    input_schema: absentIfNull(jsonObject("must be an object")).transform((value): Record<string, unknown> => value ?? { type: "object" }),
  },
  { error: "must be an object" },
);

const finite = z.number({ error: "must be a number" }).refine(Number.isFinite, { error: "must be a number" });

/** `POST /invoke` body. */
export const GatewayInvokeRequestSchema = z
  .object({
    run_id: absentIfNull(text()).transform((value) => value ?? ""),
    step_id: absentIfNull(text()).transform((value) => value ?? ""),
    /** Model group name from gateway.yaml; a missing group is an empty name, which is an unknown group (as in the original). */
    group: absentIfNull(text()).transform((value) => value ?? ""),
    messages: z.array(GatewayMessageSchema, { error: "must be a non-empty array" }).min(1, { error: "must be a non-empty array" }),
    /** Positive integer; also bounds the budget reservation. */
    max_tokens: z
      .number({ error: "must be a positive integer" })
      .int({ error: "must be a positive integer" })
      .positive({ error: "must be a positive integer" }),
    /** Defaults to the group's `default_temperature` (0 when unset). */
    temperature: absentIfNull(finite.refine((t) => t >= 0, { error: "must not be negative" })),
    tools: absentIfNull(z.array(GatewayToolSchema, { error: "must be an array" })),
    /** The run's `model_policy.cost_budget_usd`; absent or 0 = not limited. */
    cost_budget_usd: absentIfNull(finite.refine((b) => b >= 0, { error: "must not be negative" })),
    /** The run whose spend the budget counts (the root run); defaults to `run_id`. */
    budget_run_id: absentIfNull(text()).transform((value) => value || undefined),
  })
  .superRefine((request, ctx) => {
    if ((request.cost_budget_usd ?? 0) > 0 && !(request.budget_run_id || request.run_id)) {
      ctx.addIssue({ code: "custom", path: ["cost_budget_usd"], message: "needs run_id or budget_run_id: the budget is counted per run" });
    }
  });

/** `POST /invoke` 200 body. */
export const GatewayInvokeResponseSchema = z.object({
  content: z.string().describe('The model\'s text; "" when it only asked for tools'),
  model_resolved: z.string().describe("`<provider>/<model-id>` exactly as written in the group"),
  tokens_in: z.number().describe("All input tokens, cache reads and writes included"),
  tokens_out: z.number(),
  cost_usd: z.number(),
  tool_calls: z.array(GatewayToolCallSchema).optional(),
  cache_read_tokens: z.number().optional().describe("Input tokens served from the provider's prompt cache (part of `tokens_in`)"),
  cache_write_tokens: z.number().optional().describe("Input tokens written to the provider's prompt cache (part of `tokens_in`)"),
});

/** What a caller reads of a non-200 `/invoke` reply: the error word and its text. */
export const GatewayErrorReplySchema = z.object({ error: z.string().min(1), message: z.string().optional() });
