// `ktsu init [DIR]`: a new project from cli/templates/init — a hello workflow
// and agent, gateway.yaml (Anthropic) and gateway.openai.yaml, an example env
// file, .gitignore — plus a package.json whose scripts run ktsu.
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
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

/** The new project's package.json: its name is the project's name, its scripts the everyday commands. */
export function projectManifest(name: string): string {
  const manifest = {
    name,
    version: "0.1.0",
    private: true,
    description: "A Kimitsu project",
    scripts: {
      validate: "ktsu validate",
      start: "ktsu start --all",
      hello: `ktsu invoke hello --input '{"name":"world"}' --wait`,
      "deploy:dry-run": "ktsu deploy --dry-run",
      deploy: "ktsu deploy",
    },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Writes the project into `dir`, which must be missing or empty. Returns the files written, relative. */
export function initProject(dir: string): string[] {
  const target = path.resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0)
    throw new Error(`${dir} is not empty; ktsu init writes a new project into an empty or missing directory`);
  mkdirSync(target, { recursive: true });
  cpSync(TEMPLATE_DIR, target, { recursive: true });
  // npm drops files named .gitignore from packages, so the template carries it without the dot.
  renameSync(path.join(target, "gitignore"), path.join(target, ".gitignore"));
  writeFileSync(path.join(target, "package.json"), projectManifest(projectName(target)));
  return listFiles(target, target);
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
    .argument("[dir]", "directory to create it in (missing or empty)", ".")
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
