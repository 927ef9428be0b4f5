// Finds and parses every file of a project: the workflows of the workflow dir,
// everything they reference (sub-workflows, agents, the agents' servers), the
// orphan agents and servers, and the system files. Each file is parsed once;
// references are recorded as links for the rules.

import type { AgentFile, EnvFile, GatewayFile, HubLockFile, ServerFile, ServersManifestFile, WorkflowFile } from "../config/types.ts";
import { Decoder, isBroken } from "./decode.ts";
import { decodeAgent } from "./decode-agent.ts";
import { decodeGateway } from "./decode-gateway.ts";
import { decodeServer, decodeServersManifest } from "./decode-server.ts";
import { decodeEnvFile, decodeHubLock } from "./decode-system.ts";
import { decodeWorkflow } from "./decode-workflow.ts";
import { FileIssues } from "./diagnostics.ts";
import type { ProjectFs } from "./fs.ts";
import { join, normalize, relative } from "./paths.ts";
import { isLocalWorkflowRef, resolveAgentRef, resolveServerPath, resolveWorkflowRef, WORKFLOW_SUFFIX } from "./resolve.ts";
import { parseYaml } from "./yaml.ts";
import { isPlainObject } from "../util/objects.ts";

export type FileKind = "workflow" | "agent" | "server" | "servers-manifest" | "gateway" | "env" | "hub-lock";

export interface LoadedFile<T> {
  kind: FileKind;
  /** Absolute, normalized. */
  path: string;
  /** Project-relative; used in reports and as bundle key. */
  display: string;
  issues: FileIssues;
  /** Undefined when the file could not be read or parsed. */
  data: T | undefined;
  /** The parsed YAML value before decoding (for whole-file scans). */
  raw: unknown;
}

/** What a step points at, by absolute path; absent when unresolvable. */
export interface StepLinks {
  agent?: string;
  workflow?: string;
}

export interface ProjectOptions {
  /** Absolute POSIX path. */
  projectDir: string;
  /** Defaults to `<projectDir>/workflows`. */
  workflowDir?: string;
  /** Env file (`--env`), parse-checked only. */
  envFile?: string;
  /** Gateway config (`--gateway-config`); defaults to `<projectDir>/gateway.yaml`. Absolute POSIX path. */
  gatewayFile?: string;
}

export interface Project {
  fs: ProjectFs;
  projectDir: string;
  workflowDir: string;
  /** Workflows by path: the workflow dir's files (sorted) first, then referenced ones. */
  workflows: Map<string, LoadedFile<WorkflowFile>>;
  /** Paths of the workflow dir's files. */
  entryWorkflows: Set<string>;
  /** Paths of workflows that some step uses as a sub-workflow. */
  usedAsSubWorkflow: Set<string>;
  agents: Map<string, LoadedFile<AgentFile>>;
  servers: Map<string, LoadedFile<ServerFile>>;
  gateway?: LoadedFile<GatewayFile>;
  manifest?: LoadedFile<ServersManifestFile>;
  envFile?: LoadedFile<EnvFile>;
  hubLock?: LoadedFile<HubLockFile>;
  /** Per workflow path, indexed like `pipeline`. */
  stepLinks: Map<string, StepLinks[]>;
  /** Per agent path, indexed like `servers`: the resolved server file. */
  serverLinks: Map<string, (string | undefined)[]>;
}

type DecodeFn<T> = (value: unknown, d: Decoder) => T;

const KIND_LABEL: Record<FileKind, string> = {
  workflow: "workflow",
  agent: "agent",
  server: "tool server",
  "servers-manifest": "server manifest",
  gateway: "gateway",
  env: "env",
  "hub-lock": "hub lock",
};

export function loadProject(fs: ProjectFs, options: ProjectOptions): Project {
  const projectDir = normalize(options.projectDir);
  const workflowDir = normalize(options.workflowDir ?? join(projectDir, "workflows"));
  const display = (path: string): string => relative(projectDir, path);

  const project: Project = {
    fs,
    projectDir,
    workflowDir,
    workflows: new Map(),
    entryWorkflows: new Set(),
    usedAsSubWorkflow: new Set(),
    agents: new Map(),
    servers: new Map(),
    stepLinks: new Map(),
    serverLinks: new Map(),
  };

  const load = <T>(kind: FileKind, path: string, decode: DecodeFn<T>): LoadedFile<T> => {
    const issues = new FileIssues(display(path));
    const file: LoadedFile<T> = { kind, path, display: display(path), issues, data: undefined, raw: undefined };
    const text = fs.readText(path);
    if (text === undefined) {
      issues.error([], `read ${KIND_LABEL[kind]}: cannot read file`);
      return file;
    }
    const parsed = parseYaml(text);
    if (!parsed.ok) {
      for (const error of parsed.errors) issues.error([], `parse ${KIND_LABEL[kind]}: ${error.message}`, error.position);
      return file;
    }
    issues.setLocator(parsed.yaml.locate);
    file.raw = parsed.yaml.value;
    file.data = decode(parsed.yaml.value, new Decoder(issues));
    return file;
  };

  const loadWorkflow = (path: string): void => {
    if (project.workflows.has(path)) return;
    const file = load("workflow", path, decodeWorkflow);
    project.workflows.set(path, file);
    linkSteps(file);
  };

  const loadAgent = (path: string): void => {
    if (project.agents.has(path)) return;
    const file = load("agent", path, decodeAgent);
    project.agents.set(path, file);
    linkServers(file);
  };

  const loadServer = (path: string): void => {
    if (project.servers.has(path)) return;
    project.servers.set(path, load("server", path, decodeServer));
  };

  // Steps → agents and sub-workflows. Missing files are errors of the workflow.
  const linkSteps = (file: LoadedFile<WorkflowFile>): void => {
    const links: StepLinks[] = [];
    project.stepLinks.set(file.path, links);
    (file.data?.pipeline ?? []).forEach((step, i) => {
      const link: StepLinks = {};
      links.push(link);
      if (isBroken(step)) return;
      const id = step.id ?? `#${i}`;

      if (step.workflow !== undefined) {
        const ref = step.workflow;
        if (!isLocalWorkflowRef(ref)) {
          file.issues.error(["pipeline", i, "workflow"], `hub-installed workflow references ("${ref}") are not yet supported; use ./path/ for local paths`);
        } else {
          const target = resolveWorkflowRef(file.path, ref);
          if (fs.isFile(target)) {
            link.workflow = target;
            project.usedAsSubWorkflow.add(target);
            loadWorkflow(target);
          } else {
            file.issues.error(["pipeline", i, "workflow"], `step "${id}": cannot resolve workflow ref "${ref}": file not found: ${display(target)}`);
          }
        }
      }

      if (step.agent !== undefined && step.agent.trim() !== "") {
        const target = resolveAgentRef(projectDir, step.agent);
        if (fs.isFile(target)) {
          link.agent = target;
          loadAgent(target);
        } else {
          file.issues.error(["pipeline", i, "agent"], `cannot load agent "${step.agent}": file not found: ${display(target)}`);
        }
      }
    });
  };

  // Agent servers[] → server files. Missing files are errors of the agent.
  const linkServers = (file: LoadedFile<AgentFile>): void => {
    const links: (string | undefined)[] = [];
    project.serverLinks.set(file.path, links);
    (file.data?.servers ?? []).forEach((server, i) => {
      links.push(undefined);
      if (isBroken(server)) return;
      if (server.path === undefined || server.path.trim() === "") {
        file.issues.error(["servers", i, "path"], "server path is required");
        return;
      }
      const resolved = resolveServerPath(fs, projectDir, file.path, server.path);
      if (!fs.isFile(resolved.path)) {
        const hint = resolved.projectRelative
          ? ` (paths are relative to the agent file's directory; ${display(resolved.projectRelative)} exists relative to the project dir)`
          : "";
        file.issues.error(["servers", i, "path"], `cannot load server "${server.path}": file not found: ${display(resolved.path)}${hint}`);
        return;
      }
      if (looksLikeManifest(fs.readText(resolved.path))) {
        file.issues.error(["servers", i, "path"], `"${server.path}" is a servers.yaml manifest; servers[].path must point at a *.server.yaml file`);
        return;
      }
      links[i] = resolved.path;
      loadServer(resolved.path);
    });
  };

  // 1. Workflows of the workflow dir, and everything they reach.
  const entries = fs
    .list(workflowDir)
    .filter((name) => name.endsWith(WORKFLOW_SUFFIX))
    .sort()
    .map((name) => join(workflowDir, name))
    .filter((path) => fs.isFile(path));
  for (const path of entries) project.entryWorkflows.add(path);
  for (const path of entries) loadWorkflow(path);

  // 2. Orphans: every agents/*.agent.yaml and servers/*.server.yaml.
  for (const name of fs.list(join(projectDir, "agents")).sort()) {
    if (name.endsWith(".agent.yaml")) loadAgent(join(projectDir, "agents", name));
  }
  for (const name of fs.list(join(projectDir, "servers")).sort()) {
    if (name.endsWith(".server.yaml")) loadServer(join(projectDir, "servers", name));
  }

  // 3. System files.
  const gatewayPath = options.gatewayFile ?? join(projectDir, "gateway.yaml");
  // An explicit --gateway-config must exist; the project's own gateway.yaml is optional.
  if (options.gatewayFile !== undefined || fs.isFile(gatewayPath)) project.gateway = load("gateway", gatewayPath, decodeGateway);
  const manifestPath = join(projectDir, "servers.yaml");
  if (fs.isFile(manifestPath)) project.manifest = load("servers-manifest", manifestPath, decodeServersManifest);
  const lockPath = join(projectDir, "ktsuhub.lock.yaml");
  if (fs.isFile(lockPath)) project.hubLock = load("hub-lock", lockPath, decodeHubLock);
  if (options.envFile !== undefined) project.envFile = load("env", normalize(options.envFile), decodeEnvFile);

  return project;
}

/** A `servers:` list and no `url`: the shape of servers.yaml, not of a server file. */
function looksLikeManifest(text: string | undefined): boolean {
  if (text === undefined) return false;
  const parsed = parseYaml(text);
  return parsed.ok && isPlainObject(parsed.yaml.value) && Array.isArray(parsed.yaml.value.servers) && parsed.yaml.value.url === undefined;
}

/** Every loaded file, in report order. */
export function allFiles(project: Project): LoadedFile<unknown>[] {
  const systems = [project.gateway, project.manifest, project.hubLock, project.envFile].filter((f): f is LoadedFile<never> => f !== undefined);
  return [...project.workflows.values(), ...project.agents.values(), ...project.servers.values(), ...systems];
}
