// The step DAG. Edges come from `depends_on` and, unlike the Go reference
// (which used `depends_on` only), also from every `step.X` a step reads:
// templates in params and webhook URLs, conditions, webhook bodies,
// `for_each.from`, workflow-step `input`, and transform inputs and `merge`
// ids. Runtime-neutral: the
// orchestrator builds its schedule with the same functions.

import type { FieldPath } from "./diagnostics.ts";
import { parseValueSource, VALUE_FIELDS } from "../values/index.ts";
import { namespaceRefs, placeholderRefs } from "./expressions.ts";

/** The fields of a step that can name other steps; raw and compiled steps both fit. */
export interface StepLike {
  depends_on?: readonly string[];
  condition?: string;
  params?: Record<string, unknown>;
  input?: Record<string, unknown>;
  for_each?: { from?: string };
  webhook?: { url?: string; body?: Record<string, unknown> };
  transform?: { inputs?: readonly { from?: string }[]; ops?: readonly Record<string, unknown>[] };
}

export interface StepReference {
  /** The step id that is read. */
  step: string;
  /** Where, relative to the step. */
  path: FieldPath;
  /** `depends_on` entries are explicit; everything else is implied by a read. */
  explicit: boolean;
}

/** Refs in a value that is either a bare JMESPath expression or holds `{{ }}` templates. */
function expressionStepRefs(text: string): string[] {
  return text.includes("{{") ? placeholderRefs(text, "step") : namespaceRefs(text, "step");
}

/** Every place where `step` names another step, in field order. */
export function stepReferences(step: StepLike): StepReference[] {
  const refs: StepReference[] = [];
  const add = (ids: string[], path: FieldPath, explicit = false): void => {
    for (const id of ids) refs.push({ step: id, path, explicit });
  };

  for (const [i, id] of (step.depends_on ?? []).entries()) add([id], ["depends_on", i], true);
  if (step.condition !== undefined) add(expressionStepRefs(step.condition), ["condition"]);
  for (const [key, value] of Object.entries(step.params ?? {})) {
    if (typeof value === "string") add(placeholderRefs(value, "step"), ["params", key]);
  }
  for (const [key, value] of Object.entries(step.input ?? {})) {
    if (typeof value === "string") add(expressionStepRefs(value), ["input", key]);
  }
  if (step.for_each?.from !== undefined) add(expressionStepRefs(step.for_each.from), ["for_each", "from"]);
  if (step.webhook?.url !== undefined) add(placeholderRefs(step.webhook.url, "step"), ["webhook", "url"]);
  for (const [key, value] of Object.entries(step.webhook?.body ?? {})) {
    if (typeof value === "string" && parseValueSource(value, VALUE_FIELDS.webhookBody).kind !== "legacy-env") {
      add(expressionStepRefs(value), ["webhook", "body", key]);
    }
  }
  step.transform?.inputs?.forEach((input, i) => {
    if (typeof input.from === "string") add([input.from], ["transform", "inputs", i, "from"]);
  });
  step.transform?.ops?.forEach((op, i) => {
    const ids = op.merge;
    if (Array.isArray(ids)) {
      ids.forEach((id, j) => {
        if (typeof id === "string") add([id], ["transform", "ops", i, "merge", j]);
      });
    }
  });
  return refs;
}

/** The ids a step must wait for: `depends_on` first, then implicit reads; no duplicates. */
export function stepDependencies(step: StepLike): string[] {
  return [...new Set(stepReferences(step).map((ref) => ref.step))];
}

export interface DagNode {
  id: string;
  dependencies: readonly string[];
}

/**
 * One node per cycle (strongly connected component with a loop), reported
 * where a depth-first walk in declaration order first closes it, as Go's
 * `cycle detected at node "<id>"` does. Unknown dependencies are ignored.
 */
export function findCycles(nodes: readonly DagNode[]): string[] {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const edges = (id: string): string[] => (byId.get(id)?.dependencies ?? []).filter((dep) => byId.has(dep));

  // Where a back edge lands, in walk order.
  const state = new Map<string, "active" | "done">();
  const closedAt: string[] = [];
  const visit = (id: string): void => {
    state.set(id, "active");
    for (const dep of edges(id)) {
      const s = state.get(dep);
      if (s === "active") closedAt.push(dep);
      else if (s === undefined) visit(dep);
    }
    state.set(id, "done");
  };
  for (const node of nodes) if (!state.has(node.id)) visit(node.id);

  // Group by component so one loop yields one report.
  const component = stronglyConnected(
    nodes.map((n) => n.id),
    edges,
  );
  const reported = new Set<number>();
  const result: string[] = [];
  for (const id of closedAt) {
    const c = component.get(id) ?? -1;
    if (reported.has(c)) continue;
    reported.add(c);
    result.push(id);
  }
  return result;
}

function stronglyConnected(ids: string[], edges: (id: string) => string[]): Map<string, number> {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const component = new Map<string, number>();
  let next = 0;

  const connect = (id: string): void => {
    index.set(id, counter);
    low.set(id, counter);
    counter++;
    stack.push(id);
    onStack.add(id);
    for (const dep of edges(id)) {
      if (!index.has(dep)) {
        connect(dep);
        low.set(id, Math.min(low.get(id)!, low.get(dep)!));
      } else if (onStack.has(dep)) {
        low.set(id, Math.min(low.get(id)!, index.get(dep)!));
      }
    }
    if (low.get(id) === index.get(id)) {
      let member: string | undefined;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.set(member, next);
      } while (member !== id);
      next++;
    }
  };
  for (const id of ids) if (!index.has(id)) connect(id);
  return component;
}

/**
 * Kahn layering: each layer holds every node whose dependencies
 * are all in earlier layers, in declaration order. Nodes on a cycle, or
 * behind an unknown dependency, are left out.
 */
export function executionLayers(nodes: readonly DagNode[]): string[][] {
  const known = new Set(nodes.map((n) => n.id));
  const placed = new Set<string>();
  const layers: string[][] = [];
  for (;;) {
    const layer = nodes
      .filter((n) => !placed.has(n.id))
      .filter((n) => n.dependencies.every((dep) => known.has(dep) && placed.has(dep)))
      .map((n) => n.id);
    if (layer.length === 0) return layers;
    for (const id of layer) placed.add(id);
    layers.push(layer);
  }
}
