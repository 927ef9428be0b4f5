// A readable difference of two JSON values: one line per path that differs.

const SHOWN = 120;

function show(value: unknown): string {
  if (value === undefined) return "(absent)";
  const text = JSON.stringify(value);
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function walk(path: string, was: unknown, is: unknown, lines: string[]): void {
  if (isObject(was) && isObject(is)) {
    for (const key of new Set([...Object.keys(was), ...Object.keys(is)])) walk(path === "" ? key : `${path}.${key}`, was[key], is[key], lines);
    return;
  }
  if (Array.isArray(was) && Array.isArray(is) && was.length === is.length) {
    for (const [i, item] of was.entries()) walk(`${path}[${i}]`, item, is[i], lines);
    return;
  }
  if (JSON.stringify(was) !== JSON.stringify(is)) lines.push(`${path === "" ? "(whole value)" : path}: expected ${show(was)}, got ${show(is)}`);
}

/** `path: expected X, got Y` for every leaf that differs (empty when equal). */
export function jsonDiff(expected: unknown, actual: unknown): string[] {
  const lines: string[] = [];
  walk("", expected, actual, lines);
  return lines;
}
