import { createServiceApp } from "../../../shared/http/service-app.ts";
import type { RuntimeEnv } from "./env.ts";

const app = createServiceApp<{ Bindings: RuntimeEnv }>("runtime");

export default app;
