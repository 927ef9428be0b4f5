// Schemas that declare JSON Schema draft 2020-12 are checked and precompiled with ajv's 2020-12
// instance, next to the draft-07 ones (which keep theirs): shared/compiler/json-schema.ts,
// cli/src/build/emit.ts.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { emitBundleModule } from "../../../cli/src/build/emit.ts";
import type { JsonSchema, ProjectBundle } from "../../../shared/bundle.ts";
import { createSchemaChecker, DRAFT_2020_12 } from "../../../shared/compiler/json-schema.ts";

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };

const draft2020: JsonSchema = {
  $schema: DRAFT_2020_12,
  type: "object",
  $defs: { address: { type: "object", properties: { city: { type: "string" } } } },
  properties: { address: { $ref: "#/$defs/address" }, pair: { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }] } },
  additionalProperties: false,
};
// In draft-07 `items` as a list is the tuple form (2020-12 calls it prefixItems).
const draft07: JsonSchema = { type: "object", properties: { pair: { type: "array", items: [{ type: "string" }, { type: "integer" }] } } };

describe("JSON Schema draft 2020-12", () => {
  it("is checked as 2020-12 where it is declared, and draft-07 stays the default", () => {
    const check = createSchemaChecker();
    expect(check(draft2020)).toEqual([]);
    expect(check(draft07)).toEqual([]);
    expect(check({ $schema: DRAFT_2020_12, type: "object", prefixItems: 3 })).not.toEqual([]);
    expect(check({ $schema: "https://json-schema.org/draft/2019-09/schema", type: "object" })).not.toEqual([]);
  });

  it("compiles both drafts into one bundle module, each validating by its own draft", async () => {
    const source = emitBundleModule({} as ProjectBundle, { "a#params.schema": draft2020, "b#params.schema": draft07 });
    const dir = await mkdtemp(path.join(tmpdir(), "ktsu-draft2020-"));
    try {
      const file = path.join(dir, "bundle.mjs");
      await writeFile(file, source);
      const { validators } = (await import(pathToFileURL(file).href)) as { validators: Record<string, Validate> };
      const v2020 = validators["a#params.schema"]!;
      const v07 = validators["b#params.schema"]!;
      expect(v2020({ address: { city: "Oslo" }, pair: ["a", 1] })).toBe(true);
      expect(v2020({ address: { city: 7 } })).toBe(false);
      expect(v2020({ pair: ["a", "not an integer"] })).toBe(false);
      expect(v2020({ other: 1 })).toBe(false);
      expect(v07({ pair: ["a", 1] })).toBe(true);
      expect(v07({ pair: ["a", "not an integer"] })).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
