// A run's event as a zod schema: each Server-Sent Event's `data` on `GET /runs/{id}/events` and a
// row of the Store's events table. Its `type` is one of RUN_EVENT_TYPES.
import { z } from "zod";
import { RUN_EVENT_TYPES } from "../events.ts";

export const RunEventTypeSchema = z.enum(RUN_EVENT_TYPES);

export const RunEventSchema = z
  .object({
    run_id: z.string(),
    /** Per-run sequence number: also the SSE event id, so `Last-Event-ID` / `?after=` resume after it. */
    seq: z.number().int().positive(),
    type: RunEventTypeSchema,
    step_id: z.string().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    created_at: z.string(),
  })
  .meta({
    id: "RunEvent",
    description: "One event of a run: the `data:` line of each Server-Sent Event (its `id:` is `seq`, its `event:` is `type`)",
  });
