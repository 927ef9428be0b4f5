// KTSU_RUN_RETENTION_DAYS: one parser for the orchestrator and the CLI; the CLI refuses what the
// orchestrator would ignore, and passes the value to the orchestrator only.
import { describe, expect, it } from "vitest";
import { retentionSummary, RetentionSettingError, retentionVars } from "../../cli/src/stack/retention-vars.ts";
import { parseRetentionDays } from "../../shared/contracts/retention.ts";

describe("parseRetentionDays", () => {
  it("keeps runs forever when unset, empty or 0", () => {
    for (const text of [undefined, "", "  ", "0"]) expect(parseRetentionDays(text)).toEqual({ ok: true, days: null });
  });

  it("reads whole days", () => {
    expect(parseRetentionDays("30")).toEqual({ ok: true, days: 30 });
    expect(parseRetentionDays(" 7 ")).toEqual({ ok: true, days: 7 });
    expect(parseRetentionDays("36500")).toEqual({ ok: true, days: 36_500 });
  });

  it.each(["-1", "1.5", "30d", "1e3", "36501", "thirty"])("refuses %j, naming the variable and the value", (text) => {
    const parsed = parseRetentionDays(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.error).toBe(`KTSU_RUN_RETENTION_DAYS must be a whole number of days from 0 to 36500 (0 or unset keeps runs forever), got "${text}"`);
  });
});

describe("retentionVars", () => {
  it("passes a set value to the orchestrator and nothing when unset", () => {
    expect(retentionVars({ KTSU_RUN_RETENTION_DAYS: "90" })).toEqual({ orchestrator: { KTSU_RUN_RETENTION_DAYS: "90" }, days: 90 });
    expect(retentionVars({ KTSU_RUN_RETENTION_DAYS: "0" })).toEqual({ orchestrator: { KTSU_RUN_RETENTION_DAYS: "0" }, days: null });
    expect(retentionVars({})).toEqual({ orchestrator: {}, days: null });
  });

  it("refuses an invalid value with a RetentionSettingError", () => {
    expect(() => retentionVars({ KTSU_RUN_RETENTION_DAYS: "1w" })).toThrow(RetentionSettingError);
  });

  it("says what the deploy will do", () => {
    expect(retentionSummary(null)).toMatch(/^retention: runs are kept forever/);
    expect(retentionSummary(14)).toBe("retention: runs are deleted 14 day(s) after they end (KTSU_RUN_RETENTION_DAYS)");
  });
});
