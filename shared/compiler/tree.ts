// `ktsu workflow tree`: the sub-workflows, agents and servers a workflow
// reaches, resolved with the same path rules as validation.

import type { AgentFile, WorkflowFile } from "../config/types.ts";
import { Decoder, isBroken } from "./decode.ts";
import { decodeAgent } from "./decode-agent.ts";
import { decodeWorkflow } from "./decode-workflow.ts";
import { FileIssues } from "./diagnostics.ts";
import type { ProjectFs } from "./fs.ts";
import { normalize, relative } from "./paths.ts";
import { isLocalWorkflowRef, resolveAgentRef, resolveServerPath, resolveWorkflowRef } from "./resolve.ts";
import { parseYaml } from "./yaml.ts";

export interface TreeNode {
  /** Project-relative path (or the ref as written when it cannot be resolved). */
  path: string;
  kind: "workflow" | "agent" | "server";
  children?: TreeNode[];
  /** Why this node could not be expanded. */
  error?: string;
}

export function workflowTree(fs: ProjectFs, workflowFile: string, projectDir: string): TreeNode {
  const shown = (path: string): string => relative(projectDir, path);

  const read = <T>(path: string, decode: (value: unknown, d: Decoder) => T): T | string => {
    const text = fs.readText(path);
    if (text === undefined) return "file not found";
    const parsed = parseYaml(text);
    if (!parsed.ok) return `parse error: ${parsed.errors[0]?.message ?? "invalid YAML"}`;
    return decode(parsed.yaml.value, new Decoder(new FileIssues(shown(path))));
  };

  const serverNode = (path: string): TreeNode => {
    const node: TreeNode = { path: shown(path), kind: "server" };
    if (!fs.isFile(path)) node.error = "file not found";
    return node;
  };

  const agentNode = (path: string): TreeNode => {
    const node: TreeNode = { path: shown(path), kind: "agent" };
    const agent = read<AgentFile>(path, decodeAgent);
    if (typeof agent === "string") {
      node.error = agent;
      return node;
    }
    const children = (agent.servers ?? [])
      .filter((s) => !isBroken(s) && s.path !== undefined)
      .map((s) => serverNode(resolveServerPath(fs, projectDir, path, s.path as string).path));
    if (children.length > 0) node.children = children;
    return node;
  };

  const workflowNode = (path: string, stack: string[]): TreeNode => {
    const node: TreeNode = { path: shown(path), kind: "workflow" };
    if (stack.includes(path)) {
      node.error = "workflow cycle";
      return node;
    }
    const wf = read<WorkflowFile>(path, decodeWorkflow);
    if (typeof wf === "string") {
      node.error = wf;
      return node;
    }
    const children: TreeNode[] = [];
    for (const step of wf.pipeline ?? []) {
      if (isBroken(step)) continue;
      if (step.workflow !== undefined) {
        children.push(
          isLocalWorkflowRef(step.workflow)
            ? workflowNode(resolveWorkflowRef(path, step.workflow), [...stack, path])
            : { path: step.workflow, kind: "workflow", error: "hub-installed workflow references are not yet supported" },
        );
      } else if (step.agent !== undefined && step.agent.trim() !== "") {
        children.push(agentNode(resolveAgentRef(projectDir, step.agent)));
      }
    }
    if (children.length > 0) node.children = children;
    return node;
  };

  return workflowNode(normalize(workflowFile), []);
}
