// Watching a project's files for `ktsu start --watch`: one recursive fs.watch
// per directory, only the files that make up a project (YAML, env files),
// never the state dir (the stack writes there all the time), and changes that
// arrive together (an editor's save, a `git checkout`) reported once.

import { watch, type FSWatcher } from "node:fs";
import path from "node:path";

/** Whether a changed file can change the project: its YAML, or an env file beside it. */
export function isProjectFile(file: string): boolean {
  const base = path.basename(file);
  return /\.ya?ml$/i.test(base) || base === ".env" || base.endsWith(".env");
}

export interface WatchOptions {
  /** Directories watched recursively (the project, and any workflow dir or gateway config outside it). */
  dirs: string[];
  /** Paths whose changes are ignored (the state dir). */
  ignore: string[];
  /** How long changes must stop before `onChange` is called. */
  debounceMs?: number;
  /** Called once per burst of changes, with the files that changed. */
  onChange(files: string[]): void;
}

/** Starts watching; returns the function that stops it. */
export function watchProjectFiles(options: WatchOptions): () => void {
  const ignore = options.ignore.map((p) => path.resolve(p));
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const files = [...changed];
    changed.clear();
    options.onChange(files);
  };
  const watchers: FSWatcher[] = options.dirs.map((dir) =>
    watch(dir, { recursive: true }, (_event, name) => {
      if (!name) return;
      const file = path.resolve(dir, name.toString());
      if (ignore.some((p) => file === p || file.startsWith(`${p}${path.sep}`)) || !isProjectFile(file)) return;
      changed.add(file);
      clearTimeout(timer);
      timer = setTimeout(flush, options.debounceMs ?? 300);
    }),
  );
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
