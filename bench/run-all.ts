// `npm run bench`: every benchmark in turn (each prints its table and writes bench/results/<name>.json).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { REPO_ROOT, binPath } from "../cli/src/stack/paths.ts";

const benches = ["orchestration", "gateway", "fanout", "throughput", "invocations", "store"];
const only = process.argv.slice(2);
let failed = 0;
for (const name of only.length > 0 ? only : benches) {
  console.log(`\n=== bench/${name}.ts ===`);
  const started = Date.now();
  const result = spawnSync(binPath("node"), [path.join(REPO_ROOT, "bench", `${name}.ts`)], { stdio: "inherit", cwd: REPO_ROOT });
  console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (result.status !== 0) failed += 1;
}
process.exit(failed > 0 ? 1 : 0);
