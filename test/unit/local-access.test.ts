// The local stack's access settings for its orchestrator: which Host names it answers to, and
// whether the admin routes are open while no token is set (not with --secure).
import { describe, expect, it } from "vitest";
import { localAccessVars } from "../../cli/src/stack/stack.ts";

describe("localAccessVars", () => {
  it("serves the loopback names and --host; open admin routes unless secure", () => {
    expect(localAccessVars({ host: "127.0.0.1" })).toEqual({ KTSU_ALLOWED_HOSTS: "localhost,127.0.0.1,[::1]", KTSU_ADMIN_OPEN: "true" });
    expect(localAccessVars({ host: "Dev.Box.lan", secure: true })).toEqual({ KTSU_ALLOWED_HOSTS: "localhost,127.0.0.1,[::1],dev.box.lan" });
  });

  it("brackets an IPv6 --host, skips wildcard addresses, and adds KTSU_ALLOWED_HOSTS given to the orchestrator", () => {
    expect(localAccessVars({ host: "fe80::1" }).KTSU_ALLOWED_HOSTS).toBe("localhost,127.0.0.1,[::1],[fe80::1]");
    expect(localAccessVars({ host: "0.0.0.0" }).KTSU_ALLOWED_HOSTS).toBe("localhost,127.0.0.1,[::1]");
    const vars = { orchestrator: { KTSU_ALLOWED_HOSTS: "box.lan, 192.168.1.20" } };
    expect(localAccessVars({ host: "0.0.0.0", vars }).KTSU_ALLOWED_HOSTS).toBe("localhost,127.0.0.1,[::1],box.lan,192.168.1.20");
  });
});
