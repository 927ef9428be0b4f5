// Run retention: how long the orchestrator keeps runs that have ended, and the runtime route
// the orchestrator calls to erase the step hosts of a run it deletes. `ktsu start`, `ktsu deploy`
// and the orchestrator read the setting through the one parser here.
import { z } from "zod";

/** Whole days after its end that a run is deleted; unset, empty or 0: runs are kept forever. */
export const RUN_RETENTION_DAYS = "KTSU_RUN_RETENTION_DAYS";

/** A hundred years: more is a typo, not a policy. */
const MAX_RETENTION_DAYS = 36_500;

export type RetentionSetting = { ok: true; days: number | null } | { ok: false; error: string };

/** The setting as given: `days` null keeps runs forever. */
export function parseRetentionDays(text: string | undefined): RetentionSetting {
  const trimmed = text?.trim() ?? "";
  if (trimmed === "") return { ok: true, days: null };
  const days = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(days) || days > MAX_RETENTION_DAYS) {
    return {
      ok: false,
      error: `${RUN_RETENTION_DAYS} must be a whole number of days from 0 to ${MAX_RETENTION_DAYS} (0 or unset keeps runs forever), got "${text}"`,
    };
  }
  return { ok: true, days: days === 0 ? null : days };
}

/** The runtime's route that erases step hosts: `POST` `{"hosts": [<stepHostName>…]}` → 200 `{"purged": n}`. */
export const PURGE_HOSTS_PATH = "/hosts/purge";

/** Host names per purge request: each is one Durable Object call of the runtime's invocation. */
export const MAX_HOSTS_PER_PURGE = 50;

export const PurgeHostsRequestSchema = z.object({ hosts: z.array(z.string().min(1)).max(MAX_HOSTS_PER_PURGE) });

export type PurgeHostsRequest = z.infer<typeof PurgeHostsRequestSchema>;
