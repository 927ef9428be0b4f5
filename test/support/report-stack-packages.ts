// Preloaded (`node --import`) into a CLI child by cli-startup.test.ts: when the process exits, it
// prints which of the packages that start a local stack or deploy were loaded. Both are CommonJS,
// so Node's CommonJS cache holds them once anything imported them.
import { createRequire } from "node:module";

const STACK_PACKAGES = /[\\/]node_modules[\\/](wrangler|miniflare)[\\/]/;

process.on("exit", () => {
  const cache = createRequire(import.meta.url).cache;
  const loaded = new Set(Object.keys(cache).flatMap((file) => STACK_PACKAGES.exec(file)?.[1] ?? []));
  process.stderr.write(`stack packages loaded: ${[...loaded].sort().join(",") || "none"}\n`);
});
