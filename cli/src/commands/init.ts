// `ktsu init [DIR]`: a new project from cli/templates/init — a hello workflow
// and agent, gateway.yaml (Anthropic) and gateway.openai.yaml, an example env
// file, a pipeline test (tests/), .gitignore — plus a package.json whose scripts run ktsu.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { REPO_ROOT } from "../stack/paths.ts";

export const TEMPLATE_DIR = path.join(REPO_ROOT, "cli", "templates", "init");

/** A name npm and Cloudflare both accept: lower case letters, digits and dashes. */
export function projectName(dir: string): string {
  const name = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return name || "ktsu-project";
}

const SCRIPTS: Record<string, string> = {
  validate: "ktsu validate",
  start: "ktsu start --all",
  hello: `ktsu invoke hello --input '{"name":"world"}' --wait`,
  test: "ktsu test",
  "deploy:dry-run": "ktsu deploy --dry-run",
  deploy: "ktsu deploy",
};

/**
 * The project's package.json: a new one named after the project, or the one
 * already there (say, from `npm install ktsu` in this directory) with the
 * scripts it lacks added; its own scripts and fields stay as they are.
 */
export function projectManifest(name: string, existing?: string): string {
  const manifest = existing ? (JSON.parse(existing) as Record<string, unknown>) : { name, version: "0.1.0", private: true, description: "A Kimitsu project" };
  manifest.scripts = { ...SCRIPTS, ...((manifest.scripts as Record<string, string> | undefined) ?? {}) };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** The template's files as they land in the project (the template's `gitignore` is `.gitignore`). */
function templateFiles(): string[] {
  return listFiles(TEMPLATE_DIR, TEMPLATE_DIR).map((file) => (file === "gitignore" ? ".gitignore" : file));
}

/**
 * Writes the project into `dir` (created when missing). Files already there
 * are never overwritten: any clash stops it before it writes anything.
 * Returns the files written or updated, relative.
 */
export function initProject(dir: string): string[] {
  const target = path.resolve(dir);
  const clashes = templateFiles().filter((file) => existsSync(path.join(target, file)));
  if (clashes.length > 0) throw new Error(`${dir} already has ${clashes.join(", ")}; ktsu init overwrites nothing`);
  mkdirSync(target, { recursive: true });
  cpSync(TEMPLATE_DIR, target, { recursive: true });
  // npm drops files named .gitignore from packages, so the template carries it without the dot.
  renameSync(path.join(target, "gitignore"), path.join(target, ".gitignore"));
  const manifestPath = path.join(target, "package.json");
  const existing = existsSync(manifestPath) ? readFileSync(manifestPath, "utf8") : undefined;
  writeFileSync(manifestPath, projectManifest(projectName(target), existing));
  return [...templateFiles(), "package.json"].sort();
}

function listFiles(root: string, dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? listFiles(root, path.join(dir, entry.name)) : [path.relative(root, path.join(dir, entry.name))]))
    .sort();
}

export function register(program: Command): void {
  program
    .command("init")
    .description("create a new project: a hello workflow, gateway configs, an env example, package.json")
    .argument("[dir]", "directory to create it in (default .; files already there are never overwritten)", ".")
    .action((dir: string) => {
      const files = initProject(dir);
      const shown = path.relative(process.cwd(), path.resolve(dir)) || ".";
      const cd = shown === "." ? "" : `  cd ${shown}\n`;
      process.stdout.write(
        `ktsu: created project ${projectName(dir)} in ${shown}:\n${files.map((f) => `  ${f}\n`).join("")}` +
          `next:\n${cd}  export ANTHROPIC_API_KEY=...   # or see gateway.openai.yaml and environments/example.env.yaml\n` +
          `  ktsu validate\n  ktsu start --all\n  ktsu invoke hello --input '{"name":"world"}' --wait   # in another terminal\n`,
      );
    });
}
