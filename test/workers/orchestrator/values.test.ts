import { describe, expect, it } from "vitest";
import { settled, sinkUrl, start, step } from "./helpers.ts";

/** What the echoing test runtime was asked to do: the invocation, as the runtime received it. */
interface Echoed {
  user_message: string;
  tool_servers: Array<{ name: string; auth_value?: string }>;
}

describe("value sources in agent step params", () => {
  it("interpolates templates inside text, reads the root run's env, and feeds a secret env var to a secret param", async () => {
    const view = await settled(await start("values", { who: "Ann", a: "x", b: "y" }));
    expect(view.run.status).toBe("complete");
    const echoed = step(view, "greet").output!.request as Echoed;
    expect(JSON.parse(echoed.user_message)).toEqual({ echo: true, greeting: "Hi Ann", pair: "x and y", where: sinkUrl() });
    // The secret reached the tool server's credentials; the stored echo shows it masked.
    expect(echoed.tool_servers.find((s) => s.name === "authed")?.auth_value).toBe("Bearer [REDACTED]");
  });
});

describe("webhook URLs from an unset env var", () => {
  for (const [form, params] of [
    ["{{ env.NAME }}", { legacy: false }],
    ["env:NAME", { legacy: true }],
  ] as const) {
    it(`fail the step naming the variable (${form})`, async () => {
      const view = await settled(await start("webhook-unset", params));
      expect(view.run.status).toBe("failed");
      const failed = view.steps!.find((s) => s.status === "failed")!;
      expect(failed.error).toBe('webhook url: env var "KTSU_TEST_NEVER_SET" is not set');
    });
  }
});
