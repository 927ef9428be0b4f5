// POSIX path helpers. The compiler is runtime-neutral, so it cannot use
// node:path; every path it handles is a POSIX path.

export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** Collapses `.`, `..` and repeated slashes. Keeps a leading `/` or `..`. */
export function normalize(path: string): string {
  const absolute = isAbsolute(path);
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") {
      parts.pop();
    } else if (part === ".." && absolute) {
    } else {
      parts.push(part);
    }
  }
  const joined = parts.join("/");
  if (absolute) return `/${joined}`;
  return joined === "" ? "." : joined;
}

export function join(...segments: string[]): string {
  return normalize(segments.filter((s) => s !== "").join("/"));
}

/** `join`, except that an absolute `path` is returned as is. */
export function resolveFrom(base: string, path: string): string {
  return isAbsolute(path) ? normalize(path) : join(base, path);
}

export function dirname(path: string): string {
  const normalized = normalize(path);
  const slash = normalized.lastIndexOf("/");
  if (slash < 0) return ".";
  if (slash === 0) return "/";
  return normalized.slice(0, slash);
}

export function basename(path: string): string {
  const normalized = normalize(path);
  return normalized.slice(normalized.lastIndexOf("/") + 1);
}

/** The path of `to` relative to `from` (both absolute, or both relative to the same base). */
export function relative(from: string, to: string): string {
  const fromParts = normalize(from)
    .split("/")
    .filter((p) => p !== "" && p !== ".");
  const toParts = normalize(to)
    .split("/")
    .filter((p) => p !== "" && p !== ".");
  let common = 0;
  while (common < fromParts.length && common < toParts.length && fromParts[common] === toParts[common]) {
    common++;
  }
  const up = fromParts.slice(common).map(() => "..");
  const rest = toParts.slice(common);
  const result = [...up, ...rest].join("/");
  return result === "" ? "." : result;
}
