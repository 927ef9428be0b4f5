// Which discovered tools an agent may use (allowlist) and which need a human first
// (approval rules). Both use the three pattern forms `ktsu validate` accepts
// (shared/compiler/allowlist.ts): `*`, `prefix*` and an exact name, so the two
// mechanisms can no longer disagree (the original matched allowlists as globs and
// approval rules as prefixes, so `delete-*-user` meant different things in each).
import type { ApprovalRuleSpec } from "../../../../shared/contracts/runtime.ts";

export function patternMatches(pattern: string, name: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

/** Whether `name` is allowed; an empty allowlist allows nothing. */
export function allowlistPermits(allowlist: readonly string[], name: string): boolean {
  return allowlist.some((pattern) => patternMatches(pattern, name));
}

/** The first approval rule of the tool's own server that matches, if any. */
export function approvalRuleFor(rules: readonly ApprovalRuleSpec[] | undefined, name: string): ApprovalRuleSpec | undefined {
  return rules?.find((rule) => patternMatches(rule.pattern, name));
}
