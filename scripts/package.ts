// `npm run package`: the installable `ktsu` package → dist/ktsu-<version>.tgz.
//
// The package mirrors the repository's layout (workers/, shared/, migrations/,
// the wrangler configs, dist/assets/ with the built run viewer), so the CLI
// finds everything the way it does in a checkout. What differs:
// - the CLI is bundled into cli/dist/main.js (Node strips no types under node_modules);
// - its dependencies are the Workers' runtime libraries plus wrangler, Miniflare,
//   esbuild and Node 22 itself (the `node` package), pinned by an npm-shrinkwrap.json
//   cut from package-lock.json;
// - build-info.json records the version, commit and build time `ktsu version` prints.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as esbuild from "esbuild";
import { REPO_ROOT } from "../cli/src/stack/paths.ts";
import { buildUi } from "../ui/build.ts";
import { type Lockfile, shrinkwrapFrom } from "./package/shrinkwrap.ts";

/** Dev dependencies of the repository that the installed CLI runs. */
const RUNTIME_TOOLS = ["wrangler", "miniflare", "esbuild", "node"];
/** Copied as they are: the Workers' sources (wrangler bundles them), the migrations, the `ktsu init` template. */
const COPIED = ["workers", "shared", "migrations", "cli/bin", "cli/templates", "tsconfig.json", "README.md"];

const read = (file: string) => JSON.parse(readFileSync(path.join(REPO_ROOT, file), "utf8"));
const started = Date.now();
const repo = read("package.json");
const out = path.join(REPO_ROOT, "dist", "package");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

for (const entry of COPIED) cpSync(path.join(REPO_ROOT, entry), path.join(out, entry), { recursive: true });
// Every wrangler config at the top level (the Workers' configs, and wrangler.toml when there is one).
for (const file of readdirSync(REPO_ROOT).filter((f) => /^wrangler\..*(jsonc?|toml)$/.test(f))) cpSync(path.join(REPO_ROOT, file), path.join(out, file));

await buildUi();
cpSync(path.join(REPO_ROOT, "dist", "assets"), path.join(out, "dist", "assets"), { recursive: true });

await esbuild.build({
  entryPoints: [path.join(REPO_ROOT, "cli", "src", "main.ts")],
  outfile: path.join(out, "cli", "dist", "main.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  packages: "external",
  logLevel: "warning",
});

const dependencies: Record<string, string> = { ...repo.dependencies };
for (const name of RUNTIME_TOOLS) dependencies[name] = repo.devDependencies[name];
const manifest = {
  name: "ktsu",
  version: repo.version,
  description: repo.description,
  type: "module",
  bin: { ktsu: "cli/bin/ktsu.js" },
  engines: { node: ">=20" },
  dependencies,
};
writeFileSync(path.join(out, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
const shrinkwrap = shrinkwrapFrom(read("package-lock.json") as Lockfile, { name: manifest.name, version: manifest.version, dependencies, bin: manifest.bin });
writeFileSync(path.join(out, "npm-shrinkwrap.json"), `${JSON.stringify(shrinkwrap, null, 2)}\n`);

function commit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}
const buildInfo = { version: repo.version, commit: commit(), built: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
writeFileSync(path.join(out, "build-info.json"), `${JSON.stringify(buildInfo, null, 2)}\n`);

const packed = execFileSync("npm", ["pack", "--json", "--pack-destination", path.join(REPO_ROOT, "dist")], { cwd: out, encoding: "utf8" });
const [result] = JSON.parse(packed) as Array<{ filename: string; size: number }>;
if (!result) throw new Error("npm pack reported no tarball");
const { filename, size } = result;
const tarball = path.join(REPO_ROOT, "dist", filename);
if (!existsSync(tarball)) throw new Error(`npm pack did not write ${tarball}`);
console.log(
  `packed ${path.relative(process.cwd(), tarball)} (${(size / 1024 / 1024).toFixed(1)} MiB, commit ${buildInfo.commit}) in ${Date.now() - started} ms`,
);
