// The raw YAML kinds a Kimitsu project is written in. YAML is non-strict, so every
// field is optional here; the compiler reports what is missing or mistyped.
// Runtime-neutral: imported by the CLI and by the Workers.

/** A JSON Schema object (draft-07), as written in the YAML. */
export type JsonSchema = { [key: string]: unknown };

/** `env[]` entry of a workflow or of gateway.yaml. */
export interface EnvVarConfig {
  name?: string;
  secret?: boolean;
  default?: string;
  description?: string;
}

/** `*.workflow.yaml`. */
export interface WorkflowFile {
  kind?: string;
  name?: string;
  version?: string;
  description?: string;
  visibility?: string;
  webhooks?: string;
  env?: EnvVarConfig[];
  params?: { schema?: JsonSchema };
  pipeline?: StepConfig[];
  output?: WorkflowOutputConfig;
  model_policy?: ModelPolicyConfig;
  invoke?: { auth?: InvokeAuthConfig };
}

export interface WorkflowOutputConfig {
  schema?: JsonSchema;
  map?: Record<string, unknown>;
  from?: string;
}

export interface ModelPolicyConfig {
  cost_budget_usd?: number;
  force_group?: string;
  group_map?: Record<string, string>;
  timeout_s?: number;
}

export interface InvokeAuthConfig {
  header?: string;
  scheme?: string;
  secret?: string;
}

/** `pipeline[]` entry. */
export interface StepConfig {
  id?: string;
  agent?: string;
  transform?: TransformConfig;
  webhook?: WebhookConfig;
  workflow?: string;
  input?: Record<string, unknown>;
  webhooks?: string;
  params?: Record<string, unknown>;
  for_each?: ForEachConfig;
  depends_on?: string[];
  condition?: string;
  confidence_threshold?: number;
  model?: { group?: string; max_tokens?: number };
  output?: { schema?: JsonSchema };
  on?: string;
  consolidation?: string;
}

export interface TransformConfig {
  inputs?: { from?: string }[];
  /** Each op is a one-key map `{ <op name>: <args> }`. */
  ops?: Record<string, unknown>[];
}

export interface WebhookConfig {
  url?: string;
  method?: string;
  body?: Record<string, unknown>;
  timeout_s?: number;
}

export interface ForEachConfig {
  from?: string;
  max_items?: number;
  concurrency?: number;
  max_failures?: number;
}

/** `*.agent.yaml`. */
export interface AgentFile {
  name?: string;
  description?: string;
  model?: string;
  max_turns?: number;
  params?: { schema?: JsonSchema };
  prompt?: { system?: string; user?: string; reflect?: string };
  servers?: AgentServerConfig[];
  output?: { schema?: JsonSchema };
  cost_budget_usd?: number;
}

export interface AgentServerConfig {
  name?: string;
  path?: string;
  /** The server's state namespace (kv: which store); the original parsed but ignored this key. */
  persistent_id?: string;
  params?: Record<string, unknown>;
  access?: { allowlist?: AllowlistEntryConfig[] };
}

export type AllowlistEntryConfig = string | { name?: string; require_approval?: ApprovalPolicyConfig };

export interface ApprovalPolicyConfig {
  on_reject?: string;
  /** Go duration string: `30m`, `2h`, `90s`, `0`. */
  timeout?: string;
  timeout_behavior?: string;
}

/** `*.server.yaml`; also the entries of servers.yaml. */
export interface ServerFile {
  name?: string;
  description?: string;
  url?: string;
  auth?: { header?: string; scheme?: string; secret?: string };
  params?: Record<string, ServerParamConfig>;
}

export interface ServerParamConfig {
  description?: string;
  default?: string;
  secret?: boolean;
}

/** `servers.yaml`: the marketplace manifest (parse-checked only). */
export interface ServersManifestFile {
  servers?: ServerFile[];
}

/** `gateway.yaml`. */
export interface GatewayFile {
  env?: EnvVarConfig[];
  providers?: ProviderConfig[];
  model_groups?: ModelGroupConfig[];
}

export interface ProviderConfig {
  name?: string;
  type?: string;
  config?: Record<string, string>;
}

export interface ModelGroupConfig {
  name?: string;
  models?: string[];
  strategy?: string;
  default_temperature?: number;
  pricing?: PricingConfig[];
}

export interface PricingConfig {
  model?: string;
  input_per_million?: number;
  output_per_million?: number;
  /** Optional: price of cache-read input tokens (default: the gateway's multiplier of the input price). */
  cache_read_per_million?: number;
  /** Optional: price of cache-write input tokens. */
  cache_write_per_million?: number;
  /** Workers AI: neurons per million input tokens (Cloudflare's per-model rate); priced at the neuron price. */
  input_neurons_per_million?: number;
  /** Workers AI: neurons per million output tokens. */
  output_neurons_per_million?: number;
}

/** `environments/*.env.yaml`. */
export interface EnvFile {
  name?: string;
  variables?: Record<string, unknown>;
  providers?: unknown[];
  state?: { driver?: string; dsn?: string };
}

/** `ktsuhub.lock.yaml`. */
export interface HubLockFile {
  entries?: HubLockEntry[];
}

export interface HubLockEntry {
  name?: string;
  version?: string;
  source?: string;
  ref?: string;
  sha?: string;
  cache?: string;
  mutable?: boolean;
}
