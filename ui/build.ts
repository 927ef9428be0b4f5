// Builds the web run viewer (ui/) into the orchestrator's static assets directory,
// dist/assets/ui/, which wrangler.toml serves at /ui. Node-only.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import * as esbuild from "esbuild";
import { REPO_ROOT } from "../cli/src/stack/paths.ts";

const UI_DIR = path.join(REPO_ROOT, "ui");
/** The `assets.directory` of wrangler.toml. */
export const ASSETS_DIR = path.join(REPO_ROOT, "dist", "assets");
/** Where the built viewer lives: the URL path /ui maps to this folder. */
export const UI_OUT_DIR = path.join(ASSETS_DIR, "ui");

export interface UiBuild {
  outDir: string;
  /** Bytes of each written file. */
  files: Record<string, number>;
  ms: number;
}

function ignore(...codes: string[]) {
  return (err: NodeJS.ErrnoException) => {
    if (!codes.includes(err.code ?? "")) throw err;
  };
}

/** The folders whose files the bundle is built from: the viewer and the shared code it imports (shared/sse, shared/contracts). */
const SOURCE_DIRS = [UI_DIR, path.join(REPO_ROOT, "shared")];

/** Every file in `dir`, for the freshness check. */
async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(full)));
    else out.push(full);
  }
  return out;
}

/**
 * Bundles ui/src/main.ts and ui/styles.css with esbuild and writes index.html
 * pointing at them with a content hash (so a new build is never served from a
 * stale cache). The files are written to a fresh folder that then replaces the
 * old one, so a stack reading the assets never sees half a build.
 */
export async function buildUi(outDir = UI_OUT_DIR): Promise<UiBuild> {
  const started = Date.now();
  const result = await esbuild.build({
    entryPoints: { app: path.join(UI_DIR, "src", "main.ts"), style: path.join(UI_DIR, "styles.css") },
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    sourcemap: "linked",
    write: false,
    outdir: outDir,
    logLevel: "silent",
    legalComments: "none",
  });
  const files = new Map<string, string | Uint8Array>();
  for (const file of result.outputFiles) files.set(path.basename(file.path), file.contents);
  const hash = createHash("sha256");
  for (const [, contents] of files) hash.update(contents);
  const version = hash.digest("hex").slice(0, 10);
  const html = (await readFile(path.join(UI_DIR, "index.html"), "utf8")).replaceAll("%VERSION%", version);
  files.set("index.html", html);

  const staging = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  await Promise.all([...files].map(([name, contents]) => writeFile(path.join(staging, name), contents)));
  // Two processes may build at once (parallel test runs): each swap tolerates the other's.
  const old = `${outDir}.old-${process.pid}-${Date.now()}`;
  await rename(outDir, old).catch(ignore("ENOENT"));
  await rename(staging, outDir).catch(ignore("ENOTEMPTY", "EEXIST"));
  await Promise.all([old, staging].map((dir) => rm(dir, { recursive: true, force: true })));
  // The security headers of every asset: `_headers` belongs at the assets root.
  await writeFile(path.join(path.dirname(outDir), "_headers"), await readFile(path.join(UI_DIR, "_headers")));
  return {
    outDir,
    files: Object.fromEntries([...files].map(([name, contents]) => [name, typeof contents === "string" ? Buffer.byteLength(contents) : contents.byteLength])),
    ms: Date.now() - started,
  };
}

/** Builds the viewer unless dist/assets/ui/ is newer than every source file (what `ktsu start` calls). */
export async function ensureUi(outDir = UI_OUT_DIR): Promise<UiBuild | null> {
  const built = path.join(outDir, "index.html");
  // The installed package ships the built viewer without its sources: nothing to rebuild.
  if (existsSync(built) && !existsSync(UI_DIR)) return null;
  if (existsSync(built)) {
    const builtAt = (await stat(built)).mtimeMs;
    const files = (await Promise.all(SOURCE_DIRS.map((dir) => sources(dir)))).flat();
    const times = await Promise.all(files.map(async (file) => (await stat(file)).mtimeMs));
    if (times.every((t) => t <= builtAt)) return null;
  }
  return buildUi(outDir);
}
