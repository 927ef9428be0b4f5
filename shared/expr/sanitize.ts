// The hyphen sanitizer.
//
// JMESPath has no bare hyphenated identifiers, but Kimitsu step ids are often
// hyphenated (`search-hn`). Before evaluation every bare identifier of the form
// `[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)+` is wrapped in double quotes, so
// `search-hn.repos` becomes `"search-hn".repos`.
//
// Differences from Go, which mangled both cases:
//  - raw strings `'…'` are skipped like `"…"` and backtick literals, so
//    `name == 'a-b'` keeps its literal;
//  - `_` is an identifier character, so `my_step-x` is quoted as one
//    identifier (`"my_step-x"`) instead of Go's `my_"step-x"`.
// A backslash inside any quoted span escapes the next character. An
// unterminated span runs to the end of the expression and is left as is.

const WORD = /[A-Za-z0-9_]/;
const IDENT_START = /[A-Za-z_]/;

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && WORD.test(ch);
}

/** Index just past the quoted span that starts at `start` (or the end of `text`). */
export function skipQuoted(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "\\") i += 2;
    else if (ch === quote) return i + 1;
    else i++;
  }
  return text.length;
}

export function sanitizeExpression(expression: string): string {
  let out = "";
  let i = 0;
  const n = expression.length;
  while (i < n) {
    const ch = expression[i] as string;
    if (ch === '"' || ch === "'" || ch === "`") {
      const end = skipQuoted(expression, i);
      out += expression.slice(i, end);
      i = end;
      continue;
    }
    if (isWordChar(ch)) {
      let end = i;
      while (isWordChar(expression[end])) end++;
      // A word that starts with a digit is a number, never an identifier.
      if (IDENT_START.test(ch)) {
        let identEnd = end;
        while (expression[identEnd] === "-" && isWordChar(expression[identEnd + 1])) {
          identEnd++;
          while (isWordChar(expression[identEnd])) identEnd++;
        }
        if (identEnd > end) {
          out += `"${expression.slice(i, identEnd)}"`;
          i = identEnd;
          continue;
        }
      }
      out += expression.slice(i, end);
      i = end;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}
