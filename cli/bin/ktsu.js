#!/usr/bin/env node
// Entry shim: the CLI is TypeScript run by Node 22's built-in type stripping.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `ktsu needs Node >= 22.18 (found ${process.versions.node}). Run it through npm (npx ktsu / npm start), which uses the project's pinned Node 22.`,
  );
  process.exit(1);
}
await import("../src/main.ts");
