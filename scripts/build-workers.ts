// pretest: bundle the test project and the four Workers (plus test doubles) into dist/,
// where the workerd test projects load them as auxiliary Workers.
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { buildProject } from "../cli/src/build/index.ts";
import { renderReport } from "../cli/src/report/print.ts";
import { buildWorkers, buildWorker } from "../cli/src/stack/build-workers.ts";
import { REPO_ROOT } from "../cli/src/stack/paths.ts";

const dist = path.join(REPO_ROOT, "dist");
// Not dist/project/: that is where the top-level wrangler.toml's build puts the project a plain
// `wrangler deploy` uploads, and a test fixture must never be mistaken for it.
const bundle = path.join(dist, "test-project", "bundle.js");

const started = Date.now();
const built = await buildProject({ projectDir: path.join(REPO_ROOT, "test", "fixtures", "workerd-project"), outFile: bundle });
if (!built.ok) {
  process.stdout.write(renderReport(built.report));
  throw new Error("the workerd test project does not validate");
}
// Test doubles: every test/workers/support/<name>/wrangler.jsonc (entry index.ts) → dist/<name>/index.js.
const supportDir = path.join(REPO_ROOT, "test", "workers", "support");
const doubles = (await readdir(supportDir, { withFileTypes: true })).filter(
  (e) => e.isDirectory() && existsSync(path.join(supportDir, e.name, "wrangler.jsonc")),
);
await Promise.all([
  buildWorkers(dist, bundle),
  ...doubles.map((d) => buildWorker(path.join(supportDir, d.name, "wrangler.jsonc"), path.join(dist, d.name), bundle)),
]);
console.log(`built the test project and Workers into dist/ in ${Date.now() - started} ms`);
