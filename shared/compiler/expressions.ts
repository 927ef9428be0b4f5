// Static reading of templates and JMESPath expressions: which `{{ }}`
// placeholders a string holds and which names it reads from the `step`, `env`
// and `params` namespaces. Runtime-neutral; the orchestrator may reuse it.

/** Go's placeholder pattern: `{{` then anything but `}` then `}}`. */
export const PLACEHOLDER = /\{\{([^}]+)\}\}/g;

/** The trimmed inner text of every `{{ … }}` in `text`. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => (match[1] ?? "").trim());
}

export function hasPlaceholder(text: string): boolean {
  return placeholders(text).length > 0;
}

/** True when the trimmed text starts with `{{` and ends with `}}` (Go's `stripTemplate` test). */
export function isWholeTemplate(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.startsWith("{{") && trimmed.endsWith("}}");
}

/** The expression of a whole template, or the text itself when it is bare. */
export function stripTemplate(text: string): string {
  const trimmed = text.trim();
  return isWholeTemplate(trimmed) ? trimmed.slice(2, -2).trim() : trimmed;
}

const PARAM_PLACEHOLDER = /^params\.([A-Za-z_][A-Za-z0-9_-]*)$/;

/** `params.KEY` → `KEY` for a placeholder's inner text; undefined for anything else. */
export function paramPlaceholderName(inner: string): string | undefined {
  return PARAM_PLACEHOLDER.exec(inner.trim())?.[1];
}

/** The KEY of a string that is exactly one `{{ params.KEY }}`. */
export function wholeParamRef(text: string): string | undefined {
  if (!isWholeTemplate(text)) return undefined;
  const inner = placeholders(text.trim());
  if (inner.length !== 1) return undefined;
  return paramPlaceholderName(inner[0] ?? "");
}

export type Namespace = "step" | "env" | "params";

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

/**
 * Names read from `namespace` by a JMESPath expression: `step.fetch.items`
 * reads `fetch` from `step`. Hyphenated ids (`step.search-hn.x`, which the
 * orchestrator's sanitizer quotes) and quoted ids (`step."search-hn"`) both
 * count. String literals (`'…'`, `` `…` ``) are skipped, and so is a namespace
 * word that follows a dot (`item.step.x` is a field of `item`).
 */
export function namespaceRefs(expression: string, namespace: Namespace): string[] {
  const names: string[] = [];
  let i = 0;
  let previous = ""; // last significant character before the current token

  const readIdentifier = (start: number): [string, number] => {
    let end = start;
    while (end < expression.length) {
      const ch = expression[end] ?? "";
      if (IDENT_PART.test(ch)) end++;
      else if (ch === "-" && IDENT_PART.test(expression[end + 1] ?? "")) end++;
      else break;
    }
    return [expression.slice(start, end), end];
  };
  const readQuoted = (start: number, quote: string): [string, number] => {
    let end = start + 1;
    while (end < expression.length && expression[end] !== quote) end += expression[end] === "\\" ? 2 : 1;
    return [expression.slice(start + 1, end), end + 1];
  };

  while (i < expression.length) {
    const ch = expression[i] ?? "";
    if (ch === "'" || ch === "`") {
      i = readQuoted(i, ch)[1];
      previous = ch;
    } else if (ch === '"') {
      i = readQuoted(i, ch)[1];
      previous = ch;
    } else if (IDENT_START.test(ch)) {
      const [word, end] = readIdentifier(i);
      i = end;
      if (word === namespace && previous !== "." && expression[i] === ".") {
        const next = expression[i + 1] ?? "";
        if (next === '"') {
          const [name, after] = readQuoted(i + 1, '"');
          names.push(name);
          i = after;
        } else if (IDENT_START.test(next)) {
          const [name, after] = readIdentifier(i + 1);
          names.push(name);
          i = after;
        }
      }
      previous = "a";
    } else {
      if (ch.trim() !== "") previous = ch;
      i++;
    }
  }
  return names;
}

/** Refs of every `{{ }}` placeholder in `text`. */
export function placeholderRefs(text: string, namespace: Namespace): string[] {
  return placeholders(text).flatMap((inner) => namespaceRefs(inner, namespace));
}
