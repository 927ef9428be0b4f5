// invoke.auth.secret through the shared value resolver: `{{ env.X }}` reads
// the Worker's variable (inline too), and an unset one refuses to serve.
import { describe, expect, it } from "vitest";
import { invoke } from "./helpers.ts";

describe("invoke.auth.secret with {{ env.X }}", () => {
  it("interpolates the Worker's variable into the secret", async () => {
    expect((await invoke("secure-template", {})).status).toBe(401);
    expect((await invoke("secure-template", {}, { "x-token": "invoke-secret-9b3e" })).status).toBe(401);
    expect((await invoke("secure-template", {}, { "x-token": "tok-{{ env.INVOKE_SECRET }}" })).status).toBe(401);
    expect((await invoke("secure-template", {}, { "x-token": "tok-invoke-secret-9b3e" })).status).toBe(202);
  });

  it("answers 500 naming the unset variable", async () => {
    const res = await invoke("secure-unset", {}, { authorization: "Bearer x" });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "server misconfiguration", message: 'env var "KTSU_TEST_NEVER_SET" is not set' });
  });
});
