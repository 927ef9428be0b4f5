// Secret scrubbing (spec §8.19, intended behaviour): every occurrence of a
// secret value becomes `[REDACTED]`.
//
// Matching: all occurrences of all secrets are found first (overlapping ones
// included) and each merged run of secret characters is replaced by a single
// `[REDACTED]`. So overlapping or adjacent secrets are masked completely, and
// a secret can never match across a marker inserted for another secret.
//
// Trade-off on short values: every non-empty secret is masked, however short.
// A one- or two-character secret will also mask unrelated text (`"1"` masks
// every digit 1 in an error message), which makes messages harder to read but
// never leaks the value. Dropping short secrets would be the opposite choice;
// we prefer over-masking.

import { setOwn } from "../../../../shared/expr/json.ts";

export const REDACTED = "[REDACTED]";

export interface Scrubber {
  /** Masks every secret in a string (same as `text`). */
  (text: string): string;
  /** Masks every secret in a string. */
  text(text: string): string;
  /**
   * Masks secrets in every string inside a value: strings, array items and
   * plain-object keys and values, at any depth. Returns a copy; numbers,
   * booleans, null and undefined pass through unchanged.
   */
  value<T>(value: T): T;
  /** The distinct non-empty secrets, longest first. */
  readonly secrets: readonly string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function createScrubber(secrets: Iterable<string>): Scrubber {
  const values = [...new Set([...secrets].filter((secret) => typeof secret === "string" && secret !== ""))].sort((a, b) => b.length - a.length);

  const text = (input: string): string => {
    if (values.length === 0 || input === "") return input;
    // covered[i] is 1 when character i belongs to some occurrence.
    let covered: Uint8Array | undefined;
    for (const secret of values) {
      let at = input.indexOf(secret);
      while (at >= 0) {
        covered ??= new Uint8Array(input.length);
        covered.fill(1, at, at + secret.length);
        at = input.indexOf(secret, at + 1);
      }
    }
    if (!covered) return input;
    let out = "";
    let i = 0;
    while (i < input.length) {
      if (covered[i]) {
        out += REDACTED;
        while (i < input.length && covered[i]) i++;
      } else {
        const start = i;
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
      // Keys that scrub to the same text collapse; the later entry wins.
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(input)) setOwn(copy, text(key), value(item));
      return copy as T;
    }
    return input;
  };

  return Object.assign((input: string) => text(input), { text, value, secrets: values });
}
