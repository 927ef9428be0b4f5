// How each YAML field that takes a "value source" reads it. Every field
// understands `{{ }}` templates; the legacy forms each field still accepts
// (so existing projects run unchanged) differ, and so does what a string
// without either means: a literal, or (webhook bodies) a bare JMESPath
// expression.

/** The forms that predate `{{ }}`: `env:NAME`, `param:NAME`, and a backtick-quoted literal. */
export type LegacyForm = "env" | "param" | "backtick";

export interface ValueField {
  /** Which legacy forms this field still recognises. */
  legacy: readonly LegacyForm[];
  /** What a string with neither a template nor a legacy form is. */
  plain: "literal" | "expression";
}

export const VALUE_FIELDS = {
  /** A webhook step's `url`. */
  webhookUrl: { legacy: ["env", "param", "backtick"], plain: "literal" },
  /** A webhook step's `body.<key>` values: a plain string is bare JMESPath. */
  webhookBody: { legacy: ["env"], plain: "expression" },
  /** A workflow step's `params.<key>` (the sub-workflow's params). */
  workflowStepParam: { legacy: ["env", "param", "backtick"], plain: "literal" },
  /** An agent step's `params.<key>`. A backtick here was always passed on as written. */
  agentStepParam: { legacy: ["env"], plain: "literal" },
  /** A workflow's `invoke.auth.secret`. */
  invokeAuthSecret: { legacy: ["env", "param", "backtick"], plain: "literal" },
  /** An agent file's `servers[].params.<key>`. */
  serverParam: { legacy: ["env", "backtick"], plain: "literal" },
  /** A server file's `auth.secret`. */
  serverAuthSecret: { legacy: ["backtick"], plain: "literal" },
  /**
   * An agent file's `servers[].persistent_id` (the server's namespace, e.g. a kv store
   * per chat): templates read the agent's params; no legacy form was ever read here.
   */
  persistentId: { legacy: [], plain: "literal" },
  /** A string `default` of an agent or server param. */
  paramDefault: { legacy: ["env"], plain: "literal" },
} as const satisfies Record<string, ValueField>;

export type ValueFieldName = keyof typeof VALUE_FIELDS;
