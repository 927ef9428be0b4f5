#!/usr/bin/env node
// Entry shim. ktsu needs Node >= 22.18 (wrangler and Miniflare need 22; the
// checkout runs the CLI's TypeScript with Node's built-in type stripping).
// The package depends on the `node` package (Node 22), so on an older Node
// this re-runs itself under that Node, with it first on PATH for the children.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const [major, minor] = process.versions.node.split(".").map(Number);

function bundledNode() {
  try {
    const manifest = createRequire(import.meta.url).resolve("node/package.json");
    const binary = path.join(path.dirname(manifest), "bin", "node");
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

if (major < 22 || (major === 22 && minor < 18)) {
  const node = process.env.KTSU_REEXEC ? undefined : bundledNode();
  if (!node) {
    console.error(
      `ktsu needs Node >= 22.18 (found ${process.versions.node}) and its bundled Node 22 (the "node" package) is missing: reinstall ktsu with install scripts enabled, or run it with Node 22.`,
    );
    process.exit(1);
  }
  const env = { ...process.env, KTSU_REEXEC: "1", PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ""}` };
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit", env });
  // The child gets the terminal's signals itself; forwarding covers `kill <pid>` of this process.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.once("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  // The installed package carries the CLI bundled into JavaScript (Node does not strip types under node_modules).
  const bundled = path.join(here, "..", "dist", "main.js");
  await import(existsSync(bundled) ? pathToFileURL(bundled).href : "../src/main.ts");
}
