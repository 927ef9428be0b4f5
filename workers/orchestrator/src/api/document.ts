// The orchestrator's OpenAPI 3.1 document, generated from the route declarations (spec.ts):
// served at GET /openapi.json, linted by `npm run lint:api`, and the reference the API test
// validates real answers against.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { API_ROUTES, NAMED_SCHEMAS } from "./spec.ts";

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31["generateDocument"]>;

function generate(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "KTSU_ADMIN_TOKEN. A deployed orchestrator without one refuses every admin request; only `ktsu start` without `--secure` leaves them open",
  });
  for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) registry.register(name, schema);
  for (const route of API_ROUTES) registry.registerPath(route);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "ktsu-workers orchestrator",
      version: "0.1.0",
      description:
        "Kimitsu-compatible HTTP API of the orchestrator Worker. /runs*, /approvals and /workflows* need `Authorization: Bearer <KTSU_ADMIN_TOKEN>` " +
        "(without a configured token they refuse every request, except on `ktsu start` without `--secure`); invokes use each workflow's invoke.auth. " +
        "State-changing requests from another origin are refused (403); every answer carries a Content-Security-Policy and X-Content-Type-Options: nosniff.",
    },
    servers: [
      { url: "http://localhost:5050", description: "`ktsu start` on this machine (KTSU_ORCHESTRATOR_PORT); a deployed orchestrator answers at its own domain" },
    ],
    tags: [
      { name: "runs", description: "Starting runs and reading them" },
      { name: "approvals", description: "Human decisions steps wait for" },
      { name: "viewer", description: "What the run viewer reads" },
      { name: "service", description: "Health and this document" },
    ],
  });
}

let cached: OpenApiDocument | undefined;

/** The document, generated once per isolate. */
export function openApiDocument(): OpenApiDocument {
  cached ??= generate();
  return cached;
}
