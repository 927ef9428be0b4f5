// node:fs behind the compiler's read-only ProjectFs.

import { readdirSync, readFileSync, statSync } from "node:fs";
import type { ProjectFs } from "../../shared/compiler/fs.ts";

export function nodeProjectFs(): ProjectFs {
  const isFile = (path: string): boolean => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  };
  return {
    isFile,
    readText: (path) => {
      if (!isFile(path)) return undefined;
      try {
        return readFileSync(path, "utf8");
      } catch {
        return undefined;
      }
    },
    list: (dir) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
  };
}
