// Reads the env file (`--env`) and `ktsuhub.lock.yaml`. Both are only checked to
// parse into their expected shape: nothing else in the project depends on them.

import type { EnvFile, HubLockEntry, HubLockFile } from "../config/types.ts";
import { brokenEntry, compact, type Decoder } from "./decode.ts";
import { isPlainObject } from "../util/objects.ts";

export function decodeEnvFile(value: unknown, d: Decoder): EnvFile {
  const root = d.mapping(value, []) ?? {};
  const state = d.mapping(root.state, ["state"]);
  const variables = d.mapping(root.variables, ["variables"]);
  if (variables) {
    for (const [name, entry] of Object.entries(variables)) {
      if (isPlainObject(entry) || Array.isArray(entry)) d.string(entry, ["variables", name]);
    }
  }
  return compact<EnvFile>({
    name: d.string(root.name, ["name"]),
    variables,
    providers: d.list(root.providers, ["providers"], (entry) => entry),
    state: state && compact({ driver: d.string(state.driver, ["state", "driver"]), dsn: d.string(state.dsn, ["state", "dsn"]) }),
  });
}

export function decodeHubLock(value: unknown, d: Decoder): HubLockFile {
  const root = d.mapping(value, []) ?? {};
  return compact<HubLockFile>({
    entries: d.list(root.entries, ["entries"], (entry, p) => {
      const map = d.mapping(entry, p);
      if (!map) return brokenEntry<HubLockEntry>();
      return compact<HubLockEntry>({
        name: d.string(map.name, [...p, "name"]),
        version: d.string(map.version, [...p, "version"]),
        source: d.string(map.source, [...p, "source"]),
        ref: d.string(map.ref, [...p, "ref"]),
        sha: d.string(map.sha, [...p, "sha"]),
        cache: d.string(map.cache, [...p, "cache"]),
        mutable: d.boolean(map.mutable, [...p, "mutable"]),
      });
    }),
  });
}
