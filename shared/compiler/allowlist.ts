// Allowlist entry syntax. The runtime's glob matching (spec §10.2) and the
// approval rules' prefix matching (§10.4) agree only on exact names, `prefix*`
// and `*`, so those are the only forms accepted.

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
