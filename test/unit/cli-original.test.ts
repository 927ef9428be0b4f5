// The original CLI's surface (ktsu version, --version, start's aliases and
// flags), ktsu init, and the package's shrinkwrap, on the real CLI in this checkout.
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startArgs } from "../../cli/src/commands/start-aliases.ts";
import { projectName } from "../../cli/src/commands/init.ts";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { type KtsuResult, runKtsu } from "../support/ktsu-cli.ts";
import { buildInfo, renderVersion } from "../../cli/src/version.ts";
import { type Lockfile, shrinkwrapFrom } from "../../scripts/package/shrinkwrap.ts";

function ktsu(args: string[], cwd = REPO_ROOT): Promise<KtsuResult> {
  return runKtsu(args, {}, cwd);
}

describe("ktsu version", () => {
  it("prints the original's three lines; a checkout has no build info: dev, unknown, unknown", async () => {
    for (const args of [["version"], ["--version"]]) {
      const r = await ktsu(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("Version:  dev\nCommit:   unknown\nBuilt:    unknown\n");
    }
  });

  it("reads the version, commit and build time the package recorded", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ktsu-version-"));
    try {
      await writeFile(path.join(dir, "build-info.json"), JSON.stringify({ version: "1.2.3", commit: "abc1234", built: "2026-01-02T03:04:05Z" }));
      expect(renderVersion(buildInfo(dir))).toBe("Version:  1.2.3\nCommit:   abc1234\nBuilt:    2026-01-02T03:04:05Z\n");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the original's ktsu start", () => {
  it("start orchestrator|runtime|gateway stand for start --all with their flags mapped; only the orchestrator's port is a port here", () => {
    expect(startArgs("orchestrator", { port: "6000", host: "0.0.0.0", workflowDir: "wf", env: "dev.env.yaml", workspace: ["a", "b"], hubLock: false })).toEqual(
      [
        "--all",
        "--env",
        "dev.env.yaml",
        "--workflow-dir",
        "wf",
        "--host",
        "0.0.0.0",
        "--port",
        "6000",
        "--workspace",
        "a",
        "--workspace",
        "b",
        "--no-hub-lock",
      ],
    );
    expect(startArgs("gateway", { config: "gw.yaml", port: "5052" })).toEqual(["--all", "--gateway-config", "gw.yaml"]);
    expect(startArgs("runtime", { port: "5051" })).toEqual(["--all"]);
    expect(startArgs("orchestrator", { watch: true })).toEqual(["--all", "--watch"]);
    expect(startArgs("gateway", { watch: false })).toEqual(["--all"]);
  });

  it("accepts the original's flags, says which have no effect, and refuses a project that does not validate before starting", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ktsu-start-flags-"));
    try {
      const r = await ktsu(["start", "orchestrator", "--project-dir", dir, "--store-type", "sqlite"]);
      expect(r.stderr).toContain("ktsu start orchestrator: orchestrator, runtime and gateway run together");
      expect(r.stderr).toContain(
        "ktsu start orchestrator: --store-type has no effect here: the store is D1 (persisted under --state-dir), or Postgres with --store-url",
      );
      expect(r.code).toBe(1);
      const top = await ktsu([
        "start",
        "--all",
        "--project-dir",
        dir,
        "--orchestrator-port",
        "0",
        "--gateway-port",
        "5052",
        "--workflow-dir",
        path.join(dir, "flows"),
      ]);
      expect(top.stderr).toContain("ktsu start: --gateway-port has no effect here");
      expect(top.stderr).not.toContain("unknown option");
      expect(top.code).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("ktsu init", () => {
  it("writes the template and a package.json named after the directory; refuses to overwrite any file", async () => {
    const parent = await mkdtemp(path.join(tmpdir(), "ktsu-init-"));
    try {
      const r = await ktsu(["init", "My Project"], parent);
      expect(r.code).toBe(0);
      const dir = path.join(parent, "My Project");
      expect((await readdir(dir, { recursive: true })).map(String).sort()).toEqual([
        ".gitignore",
        "agents",
        "agents/greeter.agent.yaml",
        "environments",
        "environments/example.env.yaml",
        "gateway.openai.yaml",
        "gateway.yaml",
        "package.json",
        "tests",
        "tests/hello.test.yaml",
        "workflows",
        "workflows/hello.workflow.yaml",
      ]);
      expect(JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).name).toBe("my-project");
      const again = await ktsu(["init", "My Project"], parent);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain("already has agents/greeter.agent.yaml");
      expect(again.stderr).toContain("overwrites nothing");
      const validate = await ktsu(["validate", dir]);
      expect(validate.code).toBe(0);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it("in a directory with a package.json (npm install ktsu there), adds the scripts it lacks and keeps the rest", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ktsu-init-here-"));
    try {
      await writeFile(
        path.join(dir, "package.json"),
        JSON.stringify({ name: "mine", dependencies: { ktsu: "file:ktsu-0.1.0.tgz" }, scripts: { start: "custom" } }),
      );
      const r = await ktsu(["init"], dir);
      expect(r.code).toBe(0);
      const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
      expect(manifest.name).toBe("mine");
      expect(manifest.dependencies).toEqual({ ktsu: "file:ktsu-0.1.0.tgz" });
      expect(manifest.scripts.start).toBe("custom");
      expect(manifest.scripts.validate).toBe("ktsu validate");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("derives a name npm and Cloudflare accept", () => {
    expect(projectName("/tmp/Hello World!")).toBe("hello-world");
    expect(projectName("/tmp/___")).toBe("ktsu-project");
  });
});

describe("the package's npm-shrinkwrap.json", () => {
  const lock: Lockfile = {
    lockfileVersion: 3,
    packages: {
      "": { name: "repo" },
      "node_modules/a": { version: "1.0.0", dev: true, dependencies: { b: "^2" } },
      "node_modules/b": { version: "2.0.0", dev: true },
      "node_modules/a/node_modules/c": { version: "3.0.0", dev: true, optionalDependencies: { "c-linux": "3.0.0" } },
      "node_modules/c-linux": { version: "3.0.0", dev: true, optional: true, os: ["linux"] },
      "node_modules/unrelated": { version: "9.9.9" },
      "node_modules/peer-opt": { version: "1.0.0", devOptional: true },
    },
  };
  lock.packages["node_modules/a"]!.dependencies!.c = "3";
  lock.packages["node_modules/a"]!.peerDependencies = { "peer-opt": "1" };
  lock.packages["node_modules/a"]!.peerDependenciesMeta = { "peer-opt": { optional: true } };

  it("holds exactly what the package's dependencies reach, resolved as Node would, without the dev flags", () => {
    const wrap = shrinkwrapFrom(lock, { name: "ktsu", version: "0.1.0", dependencies: { a: "1.0.0" } });
    expect(Object.keys(wrap.packages).sort()).toEqual(["", "node_modules/a", "node_modules/a/node_modules/c", "node_modules/b", "node_modules/c-linux"]);
    expect(wrap.packages["node_modules/a"]!.dev).toBeUndefined();
    expect(wrap.packages["node_modules/c-linux"]!.optional).toBe(true);
  });
});
