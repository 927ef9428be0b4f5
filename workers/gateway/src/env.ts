/**
 * Bindings of the gateway Worker. Provider credentials arrive as secrets named
 * after the gateway config's `env:` declarations, so the set is open-ended.
 */
export interface GatewayEnv {
  /** Hosts the egress endpoint may reach (JSON array or comma list). */
  KTSU_EGRESS_ALLOW?: string;
  [name: string]: unknown;
}
