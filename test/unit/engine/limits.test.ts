import { describe, expect, it } from "vitest";
import { jsonBytes, MAX_DEPTH, MAX_OUTPUT_BYTES, nestedDeeperThan, outputLimitError } from "../../../workers/orchestrator/src/engine/limits.ts";

function nested(levels: number): unknown {
  let value: unknown = { leaf: true };
  for (let i = 1; i < levels; i++) value = i % 2 === 0 ? { next: value } : [value];
  return value;
}

describe("output limits", () => {
  it("counts nesting levels of objects and arrays, and stops past the limit on very deep input", () => {
    expect(nestedDeeperThan(nested(MAX_DEPTH), MAX_DEPTH)).toBe(false);
    expect(nestedDeeperThan(nested(MAX_DEPTH + 1), MAX_DEPTH)).toBe(true);
    expect(nestedDeeperThan(nested(100_000), MAX_DEPTH)).toBe(true);
    expect(nestedDeeperThan("text", 0)).toBe(false);
    expect(outputLimitError(nested(MAX_DEPTH + 1) as object)).toBe(`output nests deeper than ${MAX_DEPTH} levels`);
  });

  it("measures outputs in UTF-8 bytes, naming the exact size of one that is too large", () => {
    const fits = { text: "a".repeat(MAX_OUTPUT_BYTES - 20) };
    expect(outputLimitError(fits)).toBeNull();
    // Two bytes per character: longer than a third of the limit in characters, still within it in bytes.
    const accented = { text: "é".repeat((MAX_OUTPUT_BYTES - 20) / 2) };
    expect(outputLimitError(accented)).toBeNull();
    const over = { text: "é".repeat(MAX_OUTPUT_BYTES / 2) };
    expect(outputLimitError(over)).toBe(`output is ${jsonBytes(over)} bytes; step outputs are limited to ${MAX_OUTPUT_BYTES} bytes`);
    expect(jsonBytes(over)).toBe(MAX_OUTPUT_BYTES + 11);
    expect(outputLimitError({ n: 1n })).toBe(`output is not serializable; step outputs are limited to ${MAX_OUTPUT_BYTES} bytes`);
  });
});
