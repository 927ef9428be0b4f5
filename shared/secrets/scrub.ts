// Secret masking, one implementation for every Worker: every occurrence of a
// secret value becomes `[REDACTED]`.
//
// Overlaps: all occurrences of all secrets are found first (overlapping ones
// included), and each merged run of secret characters is replaced by a single
// `[REDACTED]`. Masking secrets one after another would leak: with "abcdef"
// and "cdefgh", "abcdefgh" would become "[REDACTED]gh" (or "ab[REDACTED]"),
// and a secret could never match across a marker inserted for another.
//
// Structure: `value` masks string VALUES at any depth. Object keys, numbers,
// booleans and null are structure, not content, and are never rewritten: a
// secret "tok" must not turn the key `tokens_in` into `[REDACTED]ens_in`.
// The price: a secret used as an object key is not masked there.
//
// Short secrets (fewer than SHORT_SECRET_LENGTH characters, counted in code
// points) are masked only where the masked text does not begin or end in the
// middle of a word: an occurrence is left alone when a word character of the
// secret touches an unmasked word character next to it (word characters:
// letters, digits, combining marks, `_`). Masked text next to it counts as a
// boundary, so a short secret glued to a masked secret is masked with it, and a
// word made only of secrets is masked whole. So "tok" is masked in "tok",
// "key=tok.", "[tok]" and "the password is tok", but not in "tokens" or "stock".
// Long secrets are masked everywhere, inside words too.
// Why: masking a 1-3 character value everywhere shreds unrelated text (a
// secret "1" would mask the digit 1 in every number inside every message),
// making errors and outputs unreadable. The cost: a short secret written inside
// a longer word ("bot123" with secret "123") is shown. A value that short can be
// guessed in a few thousand tries anyway, so masking never protected much
// there; masking it where it stands alone still keeps it out of sentences.
// Fields known to hold a credential (a tool server's auth value) are replaced
// whole by their owner, whatever their length; this rule is for free text.

import { setOwn } from "../expr/json.ts";
import { isPlainObject } from "../util/objects.ts";

export const REDACTED = "[REDACTED]";

/** Secrets with fewer code points than this are masked only where they do not cut through a word. */
export const SHORT_SECRET_LENGTH = 4;

export interface Scrubber {
  /** Masks every secret in a string (same as `text`). */
  (text: string): string;
  /** Masks every secret in a string. */
  text(text: string): string;
  /**
   * A copy of `value` with every secret masked in every string value: strings,
   * array items and object property values, at any depth. Object keys are kept
   * as they are; numbers, booleans, null, undefined and non-plain objects pass
   * through unchanged.
   */
  value<T>(value: T): T;
  /** The distinct non-empty secrets, longest first. */
  readonly secrets: readonly string[];
}

const WORD_CHAR_AT_END = /[\p{L}\p{N}\p{M}_]$/u;
const WORD_CHAR_AT_START = /^[\p{L}\p{N}\p{M}_]/u;

/** Whether the code point that ends at `end` (exclusive) is a word character. */
function wordCharBefore(text: string, end: number): boolean {
  return end > 0 && WORD_CHAR_AT_END.test(text.slice(Math.max(0, end - 2), end));
}

/** Whether the code point that starts at `start` is a word character. */
function wordCharAfter(text: string, start: number): boolean {
  return start < text.length && WORD_CHAR_AT_START.test(text.slice(start, start + 2));
}

interface ShortSecret {
  value: string;
  /** The secret starts / ends with a word character, so it can cut a word there. */
  wordStart: boolean;
  wordEnd: boolean;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

interface Occurrence {
  at: number;
  end: number;
  secret: ShortSecret;
  kept: boolean;
}

/**
 * How many kept short-secret occurrences cover each character, or undefined when
 * none is kept. Every occurrence starts out kept; one that cuts through a word
 * (touches a word character that is not masked) is dropped, which can uncover a
 * neighbour of another one, so that one is checked again. What remains is the
 * largest set of occurrences whose masked runs begin and end at word boundaries:
 * a word made only of secrets is masked whole, a secret inside a word is not.
 */
function maskShortSecrets(input: string, short: readonly ShortSecret[], longCovered: Uint8Array | undefined): Uint32Array | undefined {
  const occurrences: Occurrence[] = [];
  const byStart = new Map<number, Occurrence[]>();
  const byEnd = new Map<number, Occurrence[]>();
  for (const secret of short) {
    for (let at = input.indexOf(secret.value); at >= 0; at = input.indexOf(secret.value, at + 1)) {
      const occurrence = { at, end: at + secret.value.length, secret, kept: true };
      occurrences.push(occurrence);
      push(byStart, at, occurrence);
      push(byEnd, occurrence.end, occurrence);
    }
  }
  if (occurrences.length === 0) return undefined;

  const count = new Uint32Array(input.length);
  for (const { at, end } of occurrences) for (let i = at; i < end; i++) count[i] = (count[i] ?? 0) + 1;
  const masked = (i: number) => longCovered?.[i] === 1 || (count[i] ?? 0) > 0;
  const cutsWord = ({ at, end, secret }: Occurrence) =>
    (secret.wordStart && at > 0 && !masked(at - 1) && wordCharBefore(input, at)) ||
    (secret.wordEnd && end < input.length && !masked(end) && wordCharAfter(input, end));

  const toCheck = [...occurrences];
  let kept = occurrences.length;
  for (let next = toCheck.pop(); next; next = toCheck.pop()) {
    if (!next.kept || !cutsWord(next)) continue;
    next.kept = false;
    kept--;
    for (let i = next.at; i < next.end; i++) count[i] = (count[i] ?? 1) - 1;
    // The occurrences that may have lost their masked neighbour: those starting
    // right after, or ending right before, one of the characters just uncovered.
    for (let i = next.at; i <= next.end; i++) {
      if (i > next.at) toCheck.push(...(byStart.get(i) ?? []));
      if (i < next.end) toCheck.push(...(byEnd.get(i) ?? []));
    }
  }
  return kept > 0 ? count : undefined;
}

export function createScrubber(secrets: Iterable<string>): Scrubber {
  const values = [...new Set([...secrets].filter((secret) => typeof secret === "string" && secret !== ""))].sort((a, b) => b.length - a.length);
  const long = values.filter((secret) => [...secret].length >= SHORT_SECRET_LENGTH);
  const short: ShortSecret[] = values
    .filter((secret) => [...secret].length < SHORT_SECRET_LENGTH)
    .map((secret) => ({ value: secret, wordStart: wordCharAfter(secret, 0), wordEnd: wordCharBefore(secret, secret.length) }));

  const text = (input: string): string => {
    if (values.length === 0 || input === "") return input;
    // covered[i] is 1 when character i belongs to an occurrence of a long secret.
    let covered: Uint8Array | undefined;
    for (const secret of long) {
      for (let at = input.indexOf(secret); at >= 0; at = input.indexOf(secret, at + 1)) {
        covered ??= new Uint8Array(input.length);
        covered.fill(1, at, at + secret.length);
      }
    }
    const shortCount = maskShortSecrets(input, short, covered);
    if (shortCount) {
      covered ??= new Uint8Array(input.length);
      for (let i = 0; i < input.length; i++) if (shortCount[i]) covered[i] = 1;
    }
    if (!covered) return input;

    let out = "";
    let i = 0;
    while (i < input.length) {
      const start = i;
      if (covered[i]) {
        while (i < input.length && covered[i]) i++;
        out += REDACTED;
      } else {
        while (i < input.length && !covered[i]) i++;
        out += input.slice(start, i);
      }
    }
    return out;
  };

  const value = <T>(input: T): T => {
    if (values.length === 0) return input;
    if (typeof input === "string") return text(input) as T;
    if (Array.isArray(input)) return input.map((item: unknown) => value(item)) as T;
    if (isPlainObject(input)) {
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(input)) setOwn(copy, key, value(item));
      return copy as T;
    }
    return input;
  };

  return Object.assign((input: string) => text(input), { text, value, secrets: values });
}
