// The installed package's npm-shrinkwrap.json, cut from this repository's
// package-lock.json: exactly the versions the repository is tested with, so
// installing the tarball resolves nothing anew (and works from the npm cache
// that `npm ci` filled, with --prefer-offline).

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  link?: boolean;
  [field: string]: unknown;
}

export interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/** The lock key of the folder that holds `key` (`node_modules/a/node_modules/b` → `node_modules/a`). */
function parentKey(key: string): string {
  const at = key.lastIndexOf("/node_modules/");
  return at === -1 ? "" : key.slice(0, at);
}

/** Where Node would find `name` when required from the package at `from` (the lock's own layout). */
function resolveIn(packages: Lockfile["packages"], from: string, name: string): string | undefined {
  for (let base = from; ; base = parentKey(base)) {
    const key = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[key]) return key;
    if (base === "") return undefined;
  }
}

/** Names an entry needs installed: its dependencies, optional ones, and peers that are not optional. */
function needs(entry: LockEntry): string[] {
  const optionalPeers = new Set(Object.entries(entry.peerDependenciesMeta ?? {}).flatMap(([name, meta]) => (meta.optional ? [name] : [])));
  const peers = Object.keys(entry.peerDependencies ?? {}).filter((name) => !optionalPeers.has(name));
  return [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...peers];
}

/**
 * The shrinkwrap of a package whose root entry is `root`: every lock entry
 * reachable from its dependencies, under the same keys, without the dev flags
 * (what is dev for the repository is a runtime dependency of the package).
 */
export function shrinkwrapFrom(
  lock: Lockfile,
  root: LockEntry & { name: string; version: string },
): Lockfile & { name: string; version: string; requires: true } {
  const packages: Lockfile["packages"] = { "": root };
  const queue: Array<[string, string]> = needs(root).map((name) => ["", name]);
  while (queue.length > 0) {
    const [from, name] = queue.shift()!;
    const key = resolveIn(lock.packages, from, name);
    // Optional platform packages for other systems are in the lock; a missing one is a peer nobody installed.
    if (key === undefined || packages[key]) continue;
    // `optional` stays (platform packages for other systems); `devOptional` marks optional peers, not needed here.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = lock.packages[key]!;
    packages[key] = entry;
    for (const next of needs(entry)) queue.push([key, next]);
  }
  return { name: root.name, version: root.version, lockfileVersion: lock.lockfileVersion, requires: true, packages };
}
