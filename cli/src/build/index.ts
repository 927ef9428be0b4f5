// `ktsu build` as a function: validate a project and, when it is valid, write
// the bundle module. `ktsu start` calls this before starting the Workers.

import { mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import { compileProject } from "../../../shared/compiler/compile.ts";
import type { ValidationReport } from "../../../shared/compiler/report.ts";
import type { ProjectBundle } from "../../../shared/bundle.ts";
import { nodeProjectFs } from "../fs.ts";
import { emitBundleModule } from "./emit.ts";

export interface BuildOptions {
  projectDir: string;
  outFile: string;
  /** Defaults to `<projectDir>/workflows`. */
  workflowDir?: string;
  /** Env file, parse-checked only. */
  envFile?: string;
  /** Gateway config to bundle instead of `<projectDir>/gateway.yaml`. */
  gatewayFile?: string;
  /** Extra workspace dirs (`--workspace`) whose workflows go into the same bundle, in lookup order. */
  workspaces?: string[];
  /** Load the workspaces `<projectDir>/ktsuhub.lock.yaml` lists (default true; false is `--no-hub-lock`). */
  hubLock?: boolean;
  /** Rewrites the validated project before it is written (`ktsu replay` points its network edges at the recording). */
  transformBundle?: (bundle: ProjectBundle) => ProjectBundle;
}

export interface BuildResult {
  /** True when the project validated and the module was written. */
  ok: boolean;
  report: ValidationReport;
  /** Absolute path of the (possibly not written) module. */
  outFile: string;
  /** The normalized project that was written (when `ok`). */
  bundle?: ProjectBundle;
}

export async function buildProject(options: BuildOptions): Promise<BuildResult> {
  const outFile = resolve(options.outFile);
  const result = compileProject(nodeProjectFs(), {
    projectDir: resolve(options.projectDir),
    ...(options.workflowDir !== undefined ? { workflowDir: resolve(options.workflowDir) } : {}),
    ...(options.envFile !== undefined ? { envFile: resolve(options.envFile) } : {}),
    ...(options.gatewayFile !== undefined ? { gatewayFile: resolve(options.gatewayFile) } : {}),
    workspaces: (options.workspaces ?? []).map((dir) => resolve(dir)),
    hubLock: options.hubLock === false ? "ignore" : "load",
    homeDir: homedir(),
  });
  if (!result.ok || !result.bundle) return { ok: false, report: result.report, outFile };

  const bundle = options.transformBundle ? options.transformBundle(result.bundle) : result.bundle;
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, emitBundleModule(bundle, result.schemas));
  return { ok: true, report: result.report, outFile, bundle };
}

export { emitBundleModule } from "./emit.ts";
