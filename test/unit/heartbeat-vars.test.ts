// The heartbeat pair `ktsu start` and `ktsu deploy` pass from the environment:
// which Worker gets which variable, and the checks on the pair.
import { describe, expect, it } from "vitest";
import { HeartbeatSettingError, heartbeatVars } from "../../cli/src/stack/heartbeat-vars.ts";

describe("heartbeatVars", () => {
  it("passes nothing when neither is set, so the Workers keep their defaults (5000 and 15000)", () => {
    expect(heartbeatVars({})).toEqual({ orchestrator: {}, runtime: {}, intervalMs: 5000, timeoutMs: 15_000, warnings: [] });
    expect(heartbeatVars({ KTSU_HEARTBEAT_INTERVAL_MS: "" }).runtime).toEqual({});
  });

  it("sends the interval to the runtime and the timeout to the orchestrator", () => {
    const vars = heartbeatVars({ KTSU_HEARTBEAT_INTERVAL_MS: "2000", KTSU_HEARTBEAT_TIMEOUT_MS: "30000" });
    expect(vars.runtime).toEqual({ KTSU_HEARTBEAT_INTERVAL_MS: "2000" });
    expect(vars.orchestrator).toEqual({ KTSU_HEARTBEAT_TIMEOUT_MS: "30000" });
    expect(vars.warnings).toEqual([]);
  });

  it.each(["0", "-5", "1.5", "5s", "abc", "1e3"])("refuses %j: not a positive whole number of milliseconds", (value) => {
    expect(() => heartbeatVars({ KTSU_HEARTBEAT_INTERVAL_MS: value })).toThrow(
      new HeartbeatSettingError(`KTSU_HEARTBEAT_INTERVAL_MS must be a positive whole number of milliseconds, got "${value}"`),
    );
    expect(() => heartbeatVars({ KTSU_HEARTBEAT_TIMEOUT_MS: value })).toThrow(/^KTSU_HEARTBEAT_TIMEOUT_MS must be a positive whole number/);
  });

  it("refuses an interval at or above the timeout, the default timeout included", () => {
    expect(() => heartbeatVars({ KTSU_HEARTBEAT_INTERVAL_MS: "15000" })).toThrow(
      "KTSU_HEARTBEAT_INTERVAL_MS (15000) and KTSU_HEARTBEAT_TIMEOUT_MS (15000, the default): the interval must be below the timeout",
    );
    expect(() => heartbeatVars({ KTSU_HEARTBEAT_TIMEOUT_MS: "4000" })).toThrow(
      "KTSU_HEARTBEAT_INTERVAL_MS (5000, the default) and KTSU_HEARTBEAT_TIMEOUT_MS (4000): the interval must be below the timeout",
    );
  });

  it("warns when fewer than three beats fit in the timeout, and passes the values anyway", () => {
    const vars = heartbeatVars({ KTSU_HEARTBEAT_INTERVAL_MS: "6000", KTSU_HEARTBEAT_TIMEOUT_MS: "15000" });
    expect(vars.runtime).toEqual({ KTSU_HEARTBEAT_INTERVAL_MS: "6000" });
    expect(vars.warnings).toEqual([
      "KTSU_HEARTBEAT_INTERVAL_MS (6000) and KTSU_HEARTBEAT_TIMEOUT_MS (15000): fewer than 3 heartbeats fit in the timeout, so one late heartbeat can fail a step; keep the interval at most a third of the timeout",
    ]);
    expect(heartbeatVars({ KTSU_HEARTBEAT_INTERVAL_MS: "5000", KTSU_HEARTBEAT_TIMEOUT_MS: "15000" }).warnings).toEqual([]);
  });
});
