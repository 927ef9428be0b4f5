// `npm run lint:api`: writes the orchestrator's OpenAPI document (generated from the route
// declarations, exactly as GET /openapi.json serves it) to dist/openapi.json and lints it with
// Redocly's recommended rules (redocly.yaml).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { openApiDocument } from "../workers/orchestrator/src/api/document.ts";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, "dist", "openapi.json");
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
console.log(`wrote ${path.relative(root, out)}`);
execFileSync(path.join(root, "node_modules", ".bin", "redocly"), ["lint", out, "--config", path.join(root, "redocly.yaml")], {
  stdio: "inherit",
  env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
});
