// KTSU_RUN_RETENTION_DAYS, which `ktsu start` and `ktsu deploy` pass from the environment to the
// orchestrator (its cron deletes runs that ended that many days ago). Unset, it is not passed and
// runs are kept forever; a value the orchestrator would refuse is refused here, before anything starts.

import { parseRetentionDays, RUN_RETENTION_DAYS } from "../../../shared/contracts/retention.ts";

type Source = Record<string, string | undefined>;

/** A retention setting that cannot work; the message names the variable and the value. */
export class RetentionSettingError extends Error {}

export interface RetentionVars {
  orchestrator: Record<string, string>;
  /** Days after its end that a run is deleted; null: kept forever. */
  days: number | null;
}

/** The orchestrator's retention var from `source` (the environment, over an env file's variables). */
export function retentionVars(source: Source): RetentionVars {
  const text = source[RUN_RETENTION_DAYS];
  const parsed = parseRetentionDays(text);
  if (!parsed.ok) throw new RetentionSettingError(parsed.error);
  return { orchestrator: text === undefined || text.trim() === "" ? {} : { [RUN_RETENTION_DAYS]: text.trim() }, days: parsed.days };
}

/** One line for `ktsu deploy` and `ktsu start`. */
export function retentionSummary(days: number | null): string {
  return days === null
    ? `retention: runs are kept forever (set ${RUN_RETENTION_DAYS} to delete runs that many days after they end)`
    : `retention: runs are deleted ${days} day(s) after they end (${RUN_RETENTION_DAYS})`;
}
