// The custom build of the top-level wrangler.toml: bundles the project named by
// KTSU_PROJECT_DIR (default examples/hello) into dist/project/bundle.js, the
// module the orchestrator imports, so a plain `wrangler deploy` at the root
// uploads that project's orchestrator. A test fixture is refused: the tests'
// projects are not meant to be deployed.
import path from "node:path";
import { buildProject } from "../cli/src/build/index.ts";
import { renderReport } from "../cli/src/report/print.ts";
import { REPO_ROOT } from "../cli/src/stack/paths.ts";

const projectDir = path.resolve(REPO_ROOT, process.env.KTSU_PROJECT_DIR || "examples/hello");
const outFile = path.join(REPO_ROOT, "dist", "project", "bundle.js");
const fullDeploy = "the full deploy of all four Workers (with names per project and environment) is `npx ktsu deploy`; see docs/deploy.md";

const testDir = path.join(REPO_ROOT, "test");
if (projectDir === testDir || projectDir.startsWith(`${testDir}${path.sep}`)) {
  process.stderr.write(`refusing to build ${path.relative(REPO_ROOT, projectDir)} for a deploy: it is a test fixture; ${fullDeploy}\n`);
  process.exit(1);
}
const built = await buildProject({ projectDir, outFile });
if (!built.ok) {
  process.stdout.write(renderReport(built.report));
  process.stderr.write(`${projectDir} does not validate; nothing was built\n`);
  process.exit(1);
}
process.stdout.write(
  `built the orchestrator's project bundle from ${projectDir} (KTSU_PROJECT_DIR) into ${path.relative(REPO_ROOT, outFile)}\n` +
    `this deploys the orchestrator alone; ${fullDeploy}\n`,
);
