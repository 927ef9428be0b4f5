// `ktsu deploy` without the Cloudflare API: a dry run builds the project and the four Worker
// bundles offline and writes their configs; bad settings and a first deploy without --bootstrap
// are refused before anything is built. On test/fixtures/cli-project, as the real CLI.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { type KtsuResult, runKtsu } from "../support/ktsu-cli.ts";

const PROJECT = path.join(REPO_ROOT, "test", "fixtures", "cli-project");

function ktsu(args: string[], env: Record<string, string> = {}): Promise<KtsuResult> {
  return runKtsu(args, { KTSU_ORCHESTRATOR_URL: "", ...env });
}

describe("ktsu deploy", () => {
  const OPEN = ["--public", "broken,gated,greet,hidden"];

  it("--dry-run --outdir builds the project and the four Worker bundles offline, named after the project and environment", async () => {
    const outdir = await mkdtemp(path.join(tmpdir(), "ktsu-deploy-"));
    try {
      const r = await ktsu(
        [
          "deploy",
          PROJECT,
          "--dry-run",
          "--bootstrap",
          "--environment",
          "staging",
          "--outdir",
          outdir,
          "--env",
          path.join(PROJECT, "environments", "dev.env.yaml"),
          ...OPEN,
        ],
        { KTSU_HEARTBEAT_INTERVAL_MS: "2500", KTSU_ADMIN_TOKEN: "" },
      );
      expect(r.code).toBe(0);
      expect(existsSync(path.join(outdir, "project", "bundle.js"))).toBe(true);
      for (const worker of ["tools", "gateway", "runtime", "orchestrator"]) {
        const entry = path.join(outdir, worker, "index.js");
        expect(statSync(entry).size).toBeGreaterThan(10_000);
      }
      // In dependency order, under the project's (directory) name and the environment.
      const order = [...r.stdout.matchAll(/^ktsu deploy: cli-project-staging-(\w+): bundled \S+index\.js/gm)].map((m) => m[1]);
      expect(order).toEqual(["tools", "gateway", "runtime", "orchestrator"]);
      // The env file's plain variable becomes a var; its secret does not.
      expect(r.stdout).toMatch(/^ktsu deploy: cli-project-staging-orchestrator: bundled .* \(vars: SINK_URL\) \(dry run: not uploaded\)$/m);
      // The heartbeat interval from the environment goes to the runtime (the timeout keeps its default).
      expect(r.stdout).toMatch(/^ktsu deploy: cli-project-staging-runtime: bundled .* \(vars: KTSU_HEARTBEAT_INTERVAL_MS\) \(dry run: not uploaded\)$/m);
      expect(r.stdout).toContain(
        "ktsu deploy: heartbeat: the runtime beats every 2500 ms (KTSU_HEARTBEAT_INTERVAL_MS), the orchestrator fails a step after 15000 ms without one (KTSU_HEARTBEAT_TIMEOUT_MS)",
      );
      expect(r.stderr).toMatch(/sets SINK_TOKEN, which is declared secret: not deployed as a plain var/);
      // Secrets not given: a dry run warns what a real deploy would refuse.
      expect(r.stdout).toContain("  INVOKE_SECRET (orchestrator): MISSING (declared by invoke.auth of secured)");
      expect(r.stdout).toContain("  PROVIDER_API_KEY (gateway): MISSING (declared by gateway config)");
      expect(r.stdout).toContain("  KTSU_ADMIN_TOKEN (orchestrator): a real deploy generates it unless given or already set");
      expect(r.stderr).toMatch(
        /^ktsu deploy: warning: a real deploy refuses: required variable\(s\) neither given nor set: INVOKE_SECRET \(orchestrator\), SINK_TOKEN/m,
      );
      // The configs it wrote name this project and environment.
      const orchestrator = JSON.parse(readFileSync(path.join(outdir, "config", "wrangler.orchestrator.json"), "utf8"));
      expect(orchestrator.name).toBe("cli-project-staging-orchestrator");
      expect(orchestrator.queues.consumers[0]).toMatchObject({ queue: "cli-project-staging-runs", dead_letter_queue: "cli-project-staging-runs-dlq" });
      expect(orchestrator.build).toBeUndefined();
      // The bootstrap pass bundled configs without service bindings.
      for (const worker of ["tools", "runtime", "orchestrator"]) {
        const config = JSON.parse(readFileSync(path.join(outdir, "bootstrap", `wrangler.${worker}.json`), "utf8"));
        expect(config.services).toBeUndefined();
        expect(existsSync(path.join(outdir, "bootstrap", worker, "index.js"))).toBe(true);
      }
      // No secret value was written anywhere.
      const files = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
      for (const file of files(outdir)) expect(readFileSync(file, "utf8")).not.toContain("not-a-real-token");
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });

  it("refuses a heartbeat interval that is not a positive number of milliseconds before building anything", async () => {
    const outdir = await mkdtemp(path.join(tmpdir(), "ktsu-deploy-"));
    try {
      const r = await ktsu(["deploy", PROJECT, "--dry-run", "--outdir", outdir], { KTSU_HEARTBEAT_INTERVAL_MS: "5s" });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('ktsu deploy: KTSU_HEARTBEAT_INTERVAL_MS must be a positive whole number of milliseconds, got "5s"; nothing was deployed\n');
      expect(readdirSync(outdir)).toEqual([]);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });

  it("passes KTSU_RUN_RETENTION_DAYS to the orchestrator, and refuses one that is not a whole number of days before building anything", async () => {
    const outdir = await mkdtemp(path.join(tmpdir(), "ktsu-deploy-"));
    try {
      const r = await ktsu(["deploy", PROJECT, "--dry-run", "--outdir", outdir], { KTSU_RUN_RETENTION_DAYS: "90" });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^ktsu deploy: \S+-orchestrator: bundled .* \(vars: [^)]*KTSU_RUN_RETENTION_DAYS[^)]*\) \(dry run: not uploaded\)$/m);
      expect(r.stdout).toContain("ktsu deploy: retention: runs are deleted 90 day(s) after they end (KTSU_RUN_RETENTION_DAYS)");
      const refused = await ktsu(["deploy", PROJECT, "--dry-run", "--outdir", outdir], { KTSU_RUN_RETENTION_DAYS: "-1" });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(
        'ktsu deploy: KTSU_RUN_RETENTION_DAYS must be a whole number of days from 0 to 36500 (0 or unset keeps runs forever), got "-1"; nothing was deployed\n',
      );
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });

  it("a real deploy of an environment with no recorded resources refuses before building anything, naming --bootstrap", async () => {
    const outdir = await mkdtemp(path.join(tmpdir(), "ktsu-deploy-"));
    try {
      const real = await ktsu(["deploy", PROJECT, "--environment", "qa", "--outdir", outdir]);
      expect(real.code).toBe(1);
      expect(real.stderr).toContain("ktsu-deploy.json in ");
      expect(real.stderr).toContain("`ktsu deploy --bootstrap --environment qa`");
      expect(readdirSync(outdir)).toEqual([]);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });
});
