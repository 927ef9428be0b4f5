import type { CompiledGateway } from "../../../shared/config/types.ts";
import { resolveGatewayConfig } from "../../../workers/gateway/src/config.ts";

/** gateway.yaml cannot serve with these variables: `problems` name each unset (or empty) one, as the gateway would at boot. */
export class ProviderSettingError extends Error {
  readonly problems: string[];
  constructor(path: string, problems: string[]) {
    super(`${path}: ${problems.join("; ")}`);
    this.name = "ProviderSettingError";
    this.problems = problems;
  }
}

/**
 * Refuses to start a stack whose gateway would refuse every LLM call: the variables its
 * providers need (declared `env:` without a default, read by `{{ env.X }}` in provider config)
 * are checked with the gateway's own resolution, so the errors are the ones it would log.
 * A project without gateway.yaml has no providers to check.
 */
export function checkProviderVars(gateway: CompiledGateway | null, vars: Record<string, string>): void {
  if (!gateway) return;
  const resolved = resolveGatewayConfig(gateway, vars);
  if (!resolved.ok) throw new ProviderSettingError(gateway.path, resolved.errors);
}

/** gateway.yaml names Workers AI providers, which only run on Cloudflare. */
export class WorkersAiOfflineError extends Error {
  readonly providers: string[];
  constructor(path: string, providers: string[]) {
    const names = providers.map((p) => `"${p}"`).join(", ");
    super(
      `${path}: provider ${names} (type workers_ai) runs models on Cloudflare Workers AI through the gateway's AI binding, which has no local simulation; ` +
        "use it on Cloudflare (ktsu deploy), or give its model groups another provider for local runs",
    );
    this.name = "WorkersAiOfflineError";
    this.providers = providers;
  }
}

/** Refuses to start a local stack whose gateway would send calls to Workers AI, unless a local stand-in is bound as `AI`. */
export function checkWorkersAi(gateway: CompiledGateway | null, standIn: boolean): void {
  const providers = (gateway?.providers ?? []).filter((p) => p.type === "workers_ai").map((p) => p.name);
  if (gateway && providers.length > 0 && !standIn) throw new WorkersAiOfflineError(gateway.path, providers);
}
