// The reliability project (fixtures/project), copied to a temporary directory with the
// loopback address of the lying MCP server filled in, so the YAML names it and the
// gateway's egress allowlist (built from the hosts the YAML names) lets it through.
import { cp, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export const FIXTURE = path.join(import.meta.dirname, "..", "fixtures", "project");

export async function makeProject(options: { liarUrl: string }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "ktsu-rel-project-"));
  await cp(FIXTURE, dir, { recursive: true });
  for (const name of await readdir(path.join(dir, "servers"))) {
    const file = path.join(dir, "servers", name);
    await writeFile(file, (await readFile(file, "utf8")).replaceAll("__LIAR_URL__", options.liarUrl));
  }
  return dir;
}
