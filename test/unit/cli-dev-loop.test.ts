// The pieces of the dev loop that need no stack: which files a watch reacts to, which
// directories it watches, how `ktsu logs` follows the log file, and the `wrangler tail`
// commands it builds for a deployed project.
import { appendFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { wranglerTailArgs } from "../../cli/src/commands/logs.ts";
import { watchedDirs } from "../../cli/src/stack/dev-loop.ts";
import { readLog } from "../../cli/src/stack/follow-log.ts";
import { logLine } from "../../cli/src/stack/log-file.ts";
import { isProjectFile } from "../../cli/src/stack/watch.ts";
import { waitFor } from "../support/poll.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ktsu-devloop-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the watch", () => {
  it("reacts to YAML and env files only", () => {
    expect(["a/hello.workflow.yaml", "gateway.yml", "environments/dev.env.yaml", ".env", "dev.env"].map(isProjectFile)).toEqual([true, true, true, true, true]);
    expect(["README.md", "x.ts", "bundle.js", "stack.log"].map(isProjectFile)).toEqual([false, false, false, false]);
  });

  it("watches the project, and a workflow dir or gateway config only when outside it", () => {
    expect(watchedDirs({ projectDir: "/p", workflowDir: "/p/workflows", gatewayConfig: "/p/gateway.yaml" })).toEqual(["/p"]);
    expect(watchedDirs({ projectDir: "/p", workflowDir: "/w", gatewayConfig: "/g/gateway.yaml" })).toEqual(["/p", "/w", "/g"]);
  });
});

describe("the log file", () => {
  it("keeps a multi-line message one entry", () => {
    expect(logLine({ timestamp: 0, level: "error", message: "boom\n  at x" })).toBe("1970-01-01T00:00:00.000Z error boom\n      at x\n");
  });

  it("ktsu logs prints what is there, and with --follow what is appended", async () => {
    const file = path.join(tempDir(), "stack.log");
    writeFileSync(file, "one\n");
    let printed = "";
    await readLog(file, (c) => (printed += c), { follow: false });
    expect(printed).toBe("one\n");

    printed = "";
    const stop = new AbortController();
    const following = readLog(file, (c) => (printed += c), { follow: true, signal: stop.signal, pollMs: 20 });
    await waitFor(() => printed === "one\n", "the existing line");
    appendFileSync(file, "two\n");
    await waitFor(() => printed === "one\ntwo\n", "the appended line");
    stop.abort();
    await following;
  });

  it("--follow waits for a file that does not exist yet", async () => {
    const dir = tempDir();
    const file = path.join(dir, "logs", "stack.log");
    let printed = "";
    const stop = new AbortController();
    const following = readLog(file, (c) => (printed += c), { follow: true, signal: stop.signal, pollMs: 20 });
    mkdirSync(path.dirname(file));
    writeFileSync(file, "first\n");
    await waitFor(() => printed === "first\n", "the new file's line");
    stop.abort();
    await following;
  });
});

describe("ktsu logs --environment", () => {
  it("tails each deployed Worker by the name ktsu deploy gives it", () => {
    const project = path.join(tempDir(), "my-proj");
    mkdirSync(project);
    expect(wranglerTailArgs(project, "staging", ["orchestrator", "gateway"])).toEqual({
      orchestrator: ["tail", "my-proj-staging-orchestrator", "--format", "pretty"],
      gateway: ["tail", "my-proj-staging-gateway", "--format", "pretty"],
    });
    expect(wranglerTailArgs(project, "production", ["tools"], "json")).toEqual({ tools: ["tail", "my-proj-production-tools", "--format", "json"] });
  });
});
