// Gateway: the only Worker that calls fetch() to the outside (LLM providers, webhooks, external MCP).
import { project } from "ktsu-project";
import { createGatewayApp } from "./app.ts";

export { BudgetDO } from "./budget-do.ts";

export default createGatewayApp({ gateway: project.gateway });
