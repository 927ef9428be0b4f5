// The packed `ktsu` from an empty directory, as a user gets it: `npm run package`
// wrote dist/ktsu-<version>.tgz; this installs it with npm --offline (from the
// cache `npm ci` filled: nothing is downloaded), then `ktsu init demo`, and in
// demo/ validate, start --all, invoke --wait and enqueue against the fake
// provider (Anthropic wire format, its URL and key from the environment as the
// generated gateway.yaml reads them), deploy --dry-run, and stops the stack.
//
// ktsu runs with the PATH a user has (the repository's node_modules/.bin, with
// its Node 22, removed): on an older system Node that exercises the re-exec
// under the package's own Node 22.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { type FakeProvider, startFakeProvider } from "../fake-provider/server.ts";
import { waitFor } from "../support/poll.ts";

const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
const TARBALL = path.join(REPO_ROOT, "dist", `ktsu-${VERSION}.tgz`);
/** The user's PATH: without any node_modules/.bin that `npm run` put in front. */
const USER_PATH = (process.env.PATH ?? "")
  .split(path.delimiter)
  .filter((dir) => !dir.includes(`node_modules${path.sep}.bin`))
  .join(path.delimiter);

let root: string;
let demo: string;
let ktsuBin: string;
let fake: FakeProvider;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: USER_PATH, KTSU_ORCHESTRATOR_URL: "", ...extra };
  // Settings `npm run` exported for the repository must not reach the user's npm or ktsu.
  for (const name of Object.keys(env)) if (name.startsWith("npm_")) delete env[name];
  return env;
}

function ktsu(args: string[], cwd = demo, env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(ktsuBin, args, { cwd, env: userEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  if (!existsSync(TARBALL)) throw new Error(`${TARBALL} is missing: run npm run test:package (it packs first)`);
  fake = await startFakeProvider({ port: 0 });
  root = await mkdtemp(path.join(tmpdir(), "ktsu-package-"));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", TARBALL], { cwd: root, env: userEnv(), stdio: "pipe" });
  ktsuBin = path.join(root, "node_modules", ".bin", "ktsu");
  demo = path.join(root, "demo");
});

afterAll(async () => {
  await fake?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("the installed package", () => {
  it("ktsu version and --version print the packed version, commit and build time", async () => {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
    for (const args of [["version"], ["--version"]]) {
      const r = await ktsu(args, root);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(`^Version:  ${VERSION.replaceAll(".", "\\.")}\\nCommit:   ${commit}\\nBuilt:    \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\n$`),
      );
    }
  });

  it("ktsu init demo writes a project that validates", async () => {
    const init = await ktsu(["init", "demo"], root);
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    expect(readdirSync(demo, { recursive: true }).map(String).sort()).toEqual(
      expect.arrayContaining([
        ".gitignore",
        "agents/greeter.agent.yaml",
        "environments/example.env.yaml",
        "gateway.openai.yaml",
        "gateway.yaml",
        "package.json",
        "workflows/hello.workflow.yaml",
      ]),
    );
    const manifest = JSON.parse(readFileSync(path.join(demo, "package.json"), "utf8")) as { name: string; scripts: Record<string, string> };
    expect(manifest.name).toBe("demo");
    expect(manifest.scripts.start).toBe("ktsu start --all");
    const again = await ktsu(["init", "demo"], root);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("overwrites nothing");

    const validate = await ktsu(["validate"]);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain("OKAY  workflows/hello.workflow.yaml");
    expect(validate.stdout).toContain("OKAY  gateway.yaml");
  });

  it("ktsu start --all serves the project: invoke --wait completes through the Anthropic gateway config; enqueue runs from the queue", async () => {
    const child = spawn(ktsuBin, ["start", "--all", "--port", "0"], {
      cwd: demo,
      env: userEnv({ ANTHROPIC_API_KEY: "fake-key-for-the-test", ANTHROPIC_BASE_URL: fake.url }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", () => {
          const match = /orchestrator listening on (http:\/\/\S+)/.exec(output);
          if (match) resolve(match[1]!);
        });
        void exited.then((code) => reject(new Error(`ktsu start exited (${code}) before listening:\n${output}`)));
      });

      const invoke = await ktsu(["invoke", "hello", "--input", '{"name":"world"}', "--wait", "--orchestrator", url]);
      expect(invoke.stderr).toBe("");
      expect(invoke.code).toBe(0);
      expect(invoke.stdout).toMatch(/^step greet +complete/m);
      expect(invoke.stdout).toMatch(/^run complete in/m);
      const call = fake.calls.find((c) => c.api === "anthropic");
      expect(call?.headers["x-api-key"]).toBe("fake-key-for-the-test");

      const enqueue = await ktsu(["enqueue", "hello", "--input", '{"name":"queue"}', "--orchestrator", url]);
      expect(enqueue.code).toBe(0);
      const runId = /^run_id: (\S+)$/m.exec(enqueue.stdout)?.[1];
      expect(runId).toBeDefined();
      let status: string | undefined;
      await waitFor(
        async () => {
          const res = await fetch(`${url}/runs/${runId}`);
          status = res.status === 200 ? ((await res.json()) as { run: { status: string } }).run.status : undefined;
          return status === "complete" || status === "failed";
        },
        "the enqueued run to end",
        120_000,
      );
      expect(status).toBe("complete");
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
    expect(output).toContain("ktsu: stopping");
  });

  it("ktsu deploy --dry-run bundles the project and the four Workers offline", async () => {
    const r = await ktsu(["deploy", "--dry-run"]);
    expect(r.stderr).not.toContain("failed");
    expect(r.code).toBe(0);
    for (const worker of ["orchestrator", "runtime", "gateway", "tools"]) {
      expect(existsSync(path.join(demo, ".ktsu", "deploy", "production", worker, "index.js"))).toBe(true);
    }
    expect(readFileSync(path.join(demo, ".ktsu", "deploy", "production", "project", "bundle.js"), "utf8")).toContain("greeter");
  });
});
