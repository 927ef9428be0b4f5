// Reads `*.server.yaml` files and the `servers.yaml` manifest.

import type { ServerFile, ServerParamConfig, ServersManifestFile } from "../config/types.ts";
import type { FieldPath } from "./diagnostics.ts";
import { brokenEntry, compact, type Decoder } from "./decode.ts";
import { isPlainObject } from "../util/objects.ts";

export function decodeServer(value: unknown, d: Decoder, path: FieldPath = []): ServerFile {
  const root = d.mapping(value, path) ?? {};
  const at = (...rest: string[]): FieldPath => [...path, ...rest];
  const auth = d.mapping(root.auth, at("auth"));
  const params = d.mapping(root.params, at("params"));

  let decodedParams: Record<string, ServerParamConfig> | undefined;
  if (params) {
    decodedParams = {};
    for (const [name, spec] of Object.entries(params)) {
      // A bare `name:` declares a required param with no description.
      const map = spec === null ? {} : d.mapping(spec, at("params", name));
      if (!map) continue;
      decodedParams[name] = compact<ServerParamConfig>({
        description: d.string(map.description, at("params", name, "description")),
        default: d.string(map.default, at("params", name, "default")),
        secret: d.boolean(map.secret, at("params", name, "secret")),
      });
    }
  }

  return compact<ServerFile>({
    name: d.string(root.name, at("name")),
    description: d.string(root.description, at("description")),
    url: d.string(root.url, at("url")),
    auth:
      auth &&
      compact({
        header: d.string(auth.header, at("auth", "header")),
        scheme: d.string(auth.scheme, at("auth", "scheme")),
        secret: d.string(auth.secret, at("auth", "secret")),
      }),
    params: decodedParams,
  });
}

export function decodeServersManifest(value: unknown, d: Decoder): ServersManifestFile {
  const root = d.mapping(value, []) ?? {};
  return compact<ServersManifestFile>({
    servers: d.list(root.servers, ["servers"], (entry, p) => {
      if (isPlainObject(entry)) return decodeServer(entry, d, p);
      d.mapping(entry, p); // reports the entry that is not a mapping
      return brokenEntry<ServerFile>();
    }),
  });
}
