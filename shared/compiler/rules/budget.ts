// A workflow's `model_policy.cost_budget_usd` only holds if every LLM call of
// its runs has a price: the gateway reserves a call's maximum cost before
// making it, and a model without a price (none in its group's `pricing` and
// none built in) costs 0, so the budget would silently never stop anything.
// Sub-runs count against the root run's budget, so the agent steps of every
// sub-workflow a budgeted workflow reaches are checked too, and a model group
// counts with all of its models, since the gateway may route a call to any.

import type { GatewayFile, ModelGroupConfig, WorkflowFile } from "../../config/types.ts";
import { lookupPrice, type PriceEntry, splitModel } from "../../pricing/prices.ts";
import { isBroken } from "../decode.ts";
import type { LoadedFile, Project } from "../load-project.ts";
import { invokeName } from "../resolve.ts";
import { parsed, stepType, steps } from "./common.ts";

interface UnpricedUse {
  /** `provider/model` as written in the group. */
  entry: string;
  model: string;
  group: string;
  /** `step "x"` or `step "x" of sub-workflow <file>`. */
  usedBy: string[];
}

export function checkBudgets(project: Project): void {
  const gateway = project.gateway;
  if (!gateway?.data) return;
  const groups = groupsByName(gateway.data);

  for (const file of parsed(project.workflows.values())) {
    const budget = file.data.model_policy?.cost_budget_usd;
    if (budget === undefined || budget <= 0) continue;
    const workflowName = project.invokeNames.get(file.path) ?? file.data.name ?? invokeName(file.path);
    for (const use of unpricedUses(project, file, groups)) {
      file.issues.error(
        ["model_policy", "cost_budget_usd"],
        `workflow "${workflowName}": cost_budget_usd cannot be enforced: model "${use.entry}" of model group "${use.group}" (used by ${use.usedBy.join(", ")}) has no price, so its calls would count as $0; add a price for it in ${gateway.display} (model group "${use.group}", pricing: [{ model: ${use.model}, input_per_million: …, output_per_million: … }]) or remove the budget`,
      );
    }
  }
}

function groupsByName(gateway: GatewayFile): Map<string, ModelGroupConfig> {
  const groups = new Map<string, ModelGroupConfig>();
  for (const group of gateway.model_groups ?? []) {
    if (!isBroken(group) && group.name !== undefined && !groups.has(group.name)) groups.set(group.name, group);
  }
  return groups;
}

function priceEntries(group: ModelGroupConfig): PriceEntry[] {
  return (group.pricing ?? [])
    .filter((p) => !isBroken(p) && p.model !== undefined)
    .map((p) => ({ model: p.model as string, input_per_million: p.input_per_million ?? 0, output_per_million: p.output_per_million ?? 0 }));
}

/** Every model without a price that an agent step of `root`, or of a sub-workflow it reaches, may be routed to. */
function unpricedUses(project: Project, root: LoadedFile<WorkflowFile>, groups: Map<string, ModelGroupConfig>): UnpricedUse[] {
  const found = new Map<string, UnpricedUse>();
  const visited = new Set<string>();

  const visit = (path: string): void => {
    if (visited.has(path)) return;
    visited.add(path);
    const file = project.workflows.get(path);
    if (!file?.data) return;
    const links = project.stepLinks.get(path) ?? [];
    for (const { step, index } of steps(file.data)) {
      const link = links[index] ?? {};
      const type = stepType(step);
      if (type === "workflow" && link.workflow !== undefined) visit(link.workflow);
      if (type !== "agent" || link.agent === undefined) continue;
      const agent = project.agents.get(link.agent)?.data;
      const groupName = step.model?.group || agent?.model || "";
      // A missing group is reported by the step rules; here there is nothing to price.
      const group = groups.get(groupName);
      if (!group) continue;
      const pricing = priceEntries(group);
      const usedBy = path === root.path ? `step "${step.id ?? index}"` : `step "${step.id ?? index}" of sub-workflow ${file.display}`;
      for (const entry of group.models ?? []) {
        const model = splitModel(entry)?.model;
        if (model === undefined || lookupPrice(pricing, model) !== null) continue;
        const key = `${groupName}\u0000${entry}`;
        const use = found.get(key) ?? { entry, model, group: groupName, usedBy: [] };
        if (!use.usedBy.includes(usedBy)) use.usedBy.push(usedBy);
        found.set(key, use);
      }
    }
  };

  visit(root.path);
  return [...found.values()];
}
