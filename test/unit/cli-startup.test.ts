// The CLI's commands that talk to an orchestrator (invoke, runs, approvals, cancel, logs…) must not
// load what starting a stack or deploying needs: wrangler and Miniflare take over a second to import,
// which every `ktsu runs` would pay. A preload in the child reports which of them were loaded.
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";

const PRELOAD = path.join(REPO_ROOT, "test", "support", "report-stack-packages.ts");

/** Runs `ktsu <args>` from source with the preload; returns what it printed on stderr. */
function stackPackagesLoadedBy(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", PRELOAD, path.join(REPO_ROOT, "cli", "src", "main.ts"), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, KTSU_ORCHESTRATOR_URL: "http://127.0.0.1:9" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", () => resolve(/stack packages loaded: (.*)/.exec(stderr)?.[1] ?? `no report in: ${stderr}`));
  });
}

describe("the CLI's start-up", () => {
  it("loads neither wrangler nor Miniflare for --help or a command that only calls the orchestrator", async () => {
    expect(await stackPackagesLoadedBy(["--help"])).toBe("none");
    // Nothing listens on port 9: the command fails at its request, after everything it imports is loaded.
    expect(await stackPackagesLoadedBy(["runs", "--limit", "1"])).toBe("none");
  });

  it("the preload sees them when a command does load them (the check is real)", async () => {
    // `start` loads the stack's modules before it looks at the project (which does not exist here).
    expect(await stackPackagesLoadedBy(["start", "--all", "--project-dir", path.join(REPO_ROOT, "test", "fixtures", "no-such-project")])).toMatch(
      /miniflare|wrangler/,
    );
  });
});
