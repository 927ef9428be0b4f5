import { createServiceApp } from "../../../shared/http/service-app.ts";
import type { GatewayEnv } from "./env.ts";
import { DEFAULT_EGRESS_POLICY, handleEgress, parseAllowHosts } from "./egress.ts";

const app = createServiceApp<{ Bindings: GatewayEnv }>("gateway");

app.all("/egress", (c) =>
  handleEgress(c, { ...DEFAULT_EGRESS_POLICY, allowHosts: parseAllowHosts(c.env.KTSU_EGRESS_ALLOW) }),
);

export default app;
