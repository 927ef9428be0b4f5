// The one secret scrubber every Worker uses (shared/secrets/scrub.ts).
import { describe, expect, it } from "vitest";
import { createScrubber, REDACTED, SHORT_SECRET_LENGTH } from "../../../shared/secrets/scrub.ts";
import * as semantics from "../../../workers/orchestrator/src/engine/semantics.ts";

const R = REDACTED;

describe("text: long secrets", () => {
  it("masks every occurrence inside larger strings, and leaves text without secrets alone", () => {
    const scrub = createScrubber(["s3cr3t-token"]);
    expect(scrub.text("webhook POST https://x/bots3cr3t-token/send: 401 (s3cr3t-token)")).toBe(`webhook POST https://x/bot${R}/send: 401 (${R})`);
    expect(scrub("no secret here")).toBe("no secret here");
    expect(scrub.text("")).toBe("");
  });

  it.each([
    ["given first", ["abcdef", "cdefgh"]],
    ["given second", ["cdefgh", "abcdef"]],
  ])("masks overlapping secrets completely, the left one %s", (_, secrets) => {
    const scrub = createScrubber(secrets);
    expect(scrub.text("xxabcdefghyy")).toBe(`xx${R}yy`);
    // The right-hand secret first in the text: overlap the other way round.
    expect(scrub.text("cdefghab abcdef")).toBe(`${R}ab ${R}`);
    expect(scrub.text("xxcdefabcdefghyy")).toBe(`xxcdef${R}yy`);
  });

  it("masks overlaps of secrets of different lengths, whichever comes first in the text", () => {
    const scrub = createScrubber(["secret-part-one", "one-two"]);
    expect(scrub.text("[secret-part-one-two]")).toBe(`[${R}]`);
    expect(createScrubber(["one-two", "secret-part-one"]).text("[secret-part-one-two]")).toBe(`[${R}]`);
  });

  it("masks a secret inside another as one marker, and alone where it stands alone", () => {
    const scrub = createScrubber(["abcd", "xxabcdxx"]);
    expect(scrub.text("xxabcdxx and abcd and zabcdz")).toBe(`${R} and ${R} and z${R}z`);
    expect(scrub.secrets).toEqual(["xxabcdxx", "abcd"]);
  });

  it("merges adjacent secrets into one marker", () => {
    const scrub = createScrubber(["abcdef", "ghijkl"]);
    expect(scrub.text("abcdefghijkl")).toBe(R);
    expect(scrub.text("ghijklabcdef!")).toBe(`${R}!`);
    expect(scrub.text("abcdef ghijkl")).toBe(`${R} ${R}`);
  });

  it("never matches a secret across the marker put in for another", () => {
    // Masking one after another would turn "hunter2x" into "[REDACTED]x", then
    // match "TED]x" inside the marker.
    const scrub = createScrubber(["hunter2", "TED]x"]);
    expect(scrub.text("hunter2x")).toBe(`${R}x`);
  });

  it("ignores empty and duplicate secrets; no secrets leaves everything as it is", () => {
    const scrub = createScrubber(["", "hunter2", "hunter2", "ab"]);
    expect(scrub.secrets).toEqual(["hunter2", "ab"]);
    expect(createScrubber([]).text("anything")).toBe("anything");
    const input = { a: ["b"] };
    expect(createScrubber([""]).value(input)).toBe(input);
  });
});

describe("text: short secrets are masked only where they do not cut through a word", () => {
  it("uses a threshold of 4 characters", () => {
    expect(SHORT_SECRET_LENGTH).toBe(4);
    // 4 characters: masked inside words too.
    expect(createScrubber(["abcd"]).text("xabcdx")).toBe(`x${R}x`);
    // 3 characters: not inside a word.
    expect(createScrubber(["abc"]).text("xabcx")).toBe("xabcx");
  });

  it("masks a short secret that stands alone, the whole string included", () => {
    const scrub = createScrubber(["tok"]);
    expect(scrub.text("tok")).toBe(R);
    expect(scrub.text("key=tok.")).toBe(`key=${R}.`);
    expect(scrub.text("[tok] tok,tok")).toBe(`[${R}] ${R},${R}`);
    expect(scrub.text("the password is tok")).toBe(`the password is ${R}`);
  });

  it("leaves a short secret inside a longer word (letters, digits, underscore)", () => {
    const scrub = createScrubber(["tok"]);
    expect(scrub.text("tokens_in stock tok_en 1tok")).toBe("tokens_in stock tok_en 1tok");
    const digit = createScrubber(["1"]);
    expect(digit.text("error 1 of 401, code 1")).toBe(`error ${R} of 401, code ${R}`);
  });

  it("judges a word boundary only where the secret itself has a word character", () => {
    // "-1" starts with a non-word character, so "x-1" does not cut a word at its start.
    expect(createScrubber(["-1"]).text("x-1 x-1y")).toBe(`x${R} x-1y`);
    // All punctuation: never inside a word, always masked.
    expect(createScrubber(["#!"]).text("a#!b")).toBe(`a${R}b`);
  });

  it("masks a short secret glued to a masked secret with it", () => {
    const scrub = createScrubber(["abcdef", "gh", "ij"]);
    expect(scrub.text("abcdefgh")).toBe(R);
    expect(scrub.text("ghabcdef")).toBe(R);
    // A chain of short secrets hanging off a masked one.
    expect(scrub.text("abcdefghij!")).toBe(`${R}!`);
    expect(scrub.text("ghost ij")).toBe(`ghost ${R}`);
  });

  it("masks a short secret that overlaps a masked secret, leaving no fragment", () => {
    const scrub = createScrubber(["xyzab", "abc"]);
    expect(scrub.text("xyzabc")).toBe(R);
  });

  it("masks a word made only of short secrets, but not a word with other characters too", () => {
    const scrub = createScrubber(["ab", "cd"]);
    expect(scrub.text("abcd")).toBe(R);
    expect(scrub.text("ab cd cdab")).toBe(`${R} ${R} ${R}`);
    expect(scrub.text("abcdx xabcd abxcd")).toBe("abcdx xabcd abxcd");
    // Long runs resolve without a pass per character (a drop re-checks only its neighbours).
    const many = `${"ab".repeat(5000)}x`;
    expect(scrub.text(many)).toBe(many);
    expect(scrub.text(`${"ab".repeat(5000)} x`)).toBe(`${R} x`);
  });
});

describe("text: unicode", () => {
  it("masks secrets with accents and astral characters", () => {
    const scrub = createScrubber(["pässwörd-ü", "🔑key🔑"]);
    expect(scrub.text("x pässwörd-üy and a🔑key🔑b")).toBe(`x ${R}y and a${R}b`);
  });

  it("counts a short secret's length in characters, not UTF-16 units", () => {
    // Three emoji are six UTF-16 units but three characters: short, and never part of a word.
    expect(createScrubber(["😀😀😀"]).text("a😀😀😀b")).toBe(`a${R}b`);
    // Three accented letters: short, so not masked inside a word.
    const scrub = createScrubber(["äöü"]);
    expect(scrub.text("xäöü äöü!")).toBe(`xäöü ${R}!`);
  });

  it("reads the character next to a short secret as a whole code point", () => {
    const scrub = createScrubber(["ab"]);
    // U+1D49C (mathematical script A) is a letter outside the BMP: "ab" is inside a word.
    expect(scrub.text("𝒜ab")).toBe("𝒜ab");
    expect(scrub.text("ab𝒜")).toBe("ab𝒜");
    // An emoji is not a word character.
    expect(scrub.text("😀ab😀")).toBe(`😀${R}😀`);
    // A combining accent continues the word.
    expect(scrub.text("ab\u0301")).toBe("ab\u0301");
  });
});

describe("value: deep masking of string values", () => {
  it("never rewrites JSON keys, even when a secret occurs in them", () => {
    const scrub = createScrubber(["tok", "hunter22"]);
    const envelope = {
      metrics: { tokens_in: 12, tokens_out: 3 },
      totals: { tokens_in: 12, tokens_out: 3 },
      hunter22: "hunter22",
      output: { tok: "tok", note: "tokens are counted" },
    };
    expect(scrub.value(envelope)).toEqual({
      metrics: { tokens_in: 12, tokens_out: 3 },
      totals: { tokens_in: 12, tokens_out: 3 },
      hunter22: R,
      output: { tok: R, note: "tokens are counted" },
    });
    // The same holds for a long secret inside a key.
    expect(Object.keys(createScrubber(["ens_in"]).value({ tokens_in: "tokens_in" }))).toEqual(["tokens_in"]);
  });

  it("masks strings at any depth and leaves numbers, booleans, null and undefined untouched", () => {
    const scrub = createScrubber(["hunter2"]);
    const input = {
      error: "login hunter2 failed",
      n: 1,
      ok: true,
      none: null,
      missing: undefined,
      list: ["a", "hunter2", { inner: [["zhunter2z"], 7, false, null] }],
    };
    expect(scrub.value(input)).toEqual({
      error: `login ${R} failed`,
      n: 1,
      ok: true,
      none: null,
      missing: undefined,
      list: ["a", R, { inner: [[`z${R}z`], 7, false, null] }],
    });
    // A copy: the input is unchanged.
    expect(input.error).toBe("login hunter2 failed");
    expect(input.list[1]).toBe("hunter2");
  });

  it("does not turn numbers into strings even when their digits are a secret", () => {
    const scrub = createScrubber(["1234", "7"]);
    expect(scrub.value({ count: 1234, n: 7, s: "1234", t: "7" })).toEqual({ count: 1234, n: 7, s: R, t: R });
  });

  it("masks top-level arrays and plain strings", () => {
    const scrub = createScrubber(["abcdef", "cdefgh"]);
    expect(scrub.value(["abcdefgh", ["xcdefghx"], 3])).toEqual([R, [`x${R}x`], 3]);
    expect(scrub.value("abcdefgh")).toBe(R);
  });

  it("passes null, undefined and non-plain objects through", () => {
    const scrub = createScrubber(["hunter2"]);
    expect(scrub.value(null)).toBeNull();
    expect(scrub.value(undefined)).toBeUndefined();
    const date = new Date(0);
    expect(scrub.value(date)).toBe(date);
  });

  it("keeps a `__proto__` key as an own property", () => {
    const scrub = createScrubber(["hunter2"]);
    const input = JSON.parse('{"__proto__": {"polluted": "hunter2"}}') as Record<string, unknown>;
    const out = scrub.value(input);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe(`{"__proto__":{"polluted":"${R}"}}`);
  });
});

describe("the orchestrator", () => {
  it("re-exports this scrubber from its engine semantics", () => {
    expect(semantics.createScrubber).toBe(createScrubber);
    expect(semantics.REDACTED).toBe(REDACTED);
  });
});
