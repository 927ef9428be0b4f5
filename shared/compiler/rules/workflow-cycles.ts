// Sub-workflow references must not loop back: a workflow that reaches itself
// through workflow steps would nest sub-runs forever.

import type { Project } from "../load-project.ts";

export function checkWorkflowCycles(project: Project): void {
  const state = new Map<string, "active" | "done">();
  const reported = new Set<string>();

  const visit = (path: string): void => {
    state.set(path, "active");
    const file = project.workflows.get(path);
    (project.stepLinks.get(path) ?? []).forEach((link, index) => {
      const target = link.workflow;
      if (target === undefined || !project.workflows.has(target)) return;
      if (state.get(target) === "active") {
        if (reported.has(target)) return;
        reported.add(target);
        const shown = project.workflows.get(target)?.display ?? target;
        file?.issues.error(["pipeline", index, "workflow"], `workflow cycle detected: "${shown}" is referenced transitively by itself`);
      } else if (!state.has(target)) {
        visit(target);
      }
    });
    state.set(path, "done");
  };

  for (const path of project.workflows.keys()) if (!state.has(path)) visit(path);
}
