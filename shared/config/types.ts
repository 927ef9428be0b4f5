// Config shapes, in two layers:
//
//  1. The raw YAML kinds a Kimitsu project is written in. YAML is
//     non-strict, so every field is optional here; the compiler reports what is
//     missing or mistyped.
//  2. The normalized shapes that `ktsu build` puts into the bundle. Defaults are
//     applied, references are resolved to bundle keys and every JSON Schema is
//     paired with the key of its precompiled validator. Field names keep the
//     YAML spelling so the two layers read alike.
//
// Runtime-neutral: imported by the CLI and by the Workers.

export type * from "./yaml-types.ts";
export * from "./bundle-types.ts";
