// The small shared helpers in shared/util/.
import { describe, expect, it } from "vitest";
import { sameSecret } from "../../shared/util/constant-time.ts";
import { errorMessage } from "../../shared/util/errors.ts";
import { isPlainObject } from "../../shared/util/objects.ts";

describe("sameSecret", () => {
  it("is true only for identical strings, whatever their lengths", async () => {
    expect(await sameSecret("open-sesame", "open-sesame")).toBe(true);
    expect(await sameSecret("open-sesame", "open-sesamE")).toBe(false);
    expect(await sameSecret("open", "open-sesame")).toBe(false);
    expect(await sameSecret("", "x")).toBe(false);
    expect(await sameSecret("", "")).toBe(true);
  });
});

describe("isPlainObject", () => {
  it("accepts object literals, parsed JSON and null-prototype objects", () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(JSON.parse('{"a":[1]}'))).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
  });

  it("rejects null, arrays, primitives and class instances", () => {
    for (const value of [null, undefined, [], [1], "x", 1, true, new Date(0), new Map(), new Error("e")]) {
      expect(isPlainObject(value)).toBe(false);
    }
  });
});

describe("errorMessage", () => {
  it("is an Error's message, or any other thrown value as text", () => {
    expect(errorMessage(new TypeError("bad"))).toBe("bad");
    expect(errorMessage("plain")).toBe("plain");
    expect(errorMessage(42)).toBe("42");
    expect(errorMessage(undefined)).toBe("undefined");
  });
});
