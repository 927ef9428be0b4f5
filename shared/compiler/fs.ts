// The read-only file system the compiler works on. The CLI adapts node:fs to
// it; tests and other runtimes can use `createMemoryFs`.

import { dirname, normalize } from "./paths.ts";

export interface ProjectFs {
  /** File contents, or undefined when the path is not a readable file. */
  readText(path: string): string | undefined;
  /** Names (not paths) of the entries of a directory; [] when it does not exist. */
  list(dir: string): string[];
  isFile(path: string): boolean;
}

/** An in-memory `ProjectFs` over `{ "/abs/path": "contents" }`. */
export function createMemoryFs(files: Record<string, string>): ProjectFs {
  const contents = new Map<string, string>();
  for (const [path, text] of Object.entries(files)) contents.set(normalize(path), text);

  return {
    readText: (path) => contents.get(normalize(path)),
    isFile: (path) => contents.has(normalize(path)),
    list(dir) {
      const wanted = normalize(dir);
      const names = new Set<string>();
      for (const path of contents.keys()) {
        let child = path;
        while (dirname(child) !== wanted && child !== dirname(child)) child = dirname(child);
        if (dirname(child) === wanted && child !== wanted) names.add(child.slice(child.lastIndexOf("/") + 1));
      }
      return [...names].sort();
    },
  };
}
