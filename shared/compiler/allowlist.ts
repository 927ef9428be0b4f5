// Allowlist entry syntax. The original matched allowlists as globs (`?`, `[…]`,
// `*` anywhere) but approval rules as prefixes; the two agree only on exact
// names, `prefix*` and `*`, so those are the only forms accepted.

/** Why `pattern` is not a valid allowlist entry, or undefined when it is. */
export function allowlistPatternProblem(pattern: string): string | undefined {
  if (pattern.trim() === "") return "allowlist entry is empty";
  if (pattern.includes("?") || pattern.includes("[")) {
    return `allowlist entry "${pattern}": "?" and "[...]" patterns are not supported; use an exact name, "prefix*" or "*"`;
  }
  const star = pattern.indexOf("*");
  if (star >= 0 && star !== pattern.length - 1) {
    return `allowlist entry "${pattern}": a wildcard is only allowed at the end; use an exact name, "prefix*" or "*"`;
  }
  return undefined;
}
