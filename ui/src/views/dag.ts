// The workflow DAG as an SVG graph: nodes coloured by status, edges from the
// compiled `dependencies`, a click selects a step.
import { useMemo } from "preact/hooks";
import { html } from "../html.ts";
import { edgePath, layoutDag } from "../layout.ts";
import type { GraphNode } from "../types.ts";

const NODE_W = 168;
const NODE_H = 48;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function Dag({
  nodes,
  statuses,
  selected,
  onSelect,
}: {
  nodes: GraphNode[];
  statuses: ReadonlyMap<string, string>;
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  const layout = useMemo(() => layoutDag(nodes, { nodeWidth: NODE_W, nodeHeight: NODE_H }), [nodes]);
  const status = (id: string) => statuses.get(id) ?? "pending";
  return html`<div class="dag-scroll">
    <svg class="dag" data-testid="dag" width=${layout.width} height=${layout.height} viewBox="0 0 ${layout.width} ${layout.height}" role="group" aria-label="workflow graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" class="arrow" />
        </marker>
      </defs>
      ${layout.edges.map(
        (e) => html`<path class="edge st-${status(e.from)}" data-from=${e.from} data-to=${e.to} d=${edgePath(e.points)} marker-end="url(#arrow)" />`,
      )}
      ${nodes.map((n) => {
        const box = layout.nodes.get(n.id)!;
        const s = status(n.id);
        const sub = [n.type, n.for_each ? "for each" : "", n.condition ? "if" : "", s.replace("_", " ")].filter(Boolean).join(" · ");
        const keyPress = (e: KeyboardEvent) => (e.key === "Enter" || e.key === " ") && onSelect(n.id);
        return html`<g
          class="node st-${s}${selected === n.id ? " selected" : ""}"
          data-step=${n.id}
          data-status=${s}
          transform="translate(${box.x},${box.y})"
          tabindex="0"
          role="button"
          onClick=${() => onSelect(n.id)}
          onKeyDown=${keyPress}
        >
          <title>${n.id} (${n.type}): ${n.detail}${n.condition ? `\ncondition: ${n.condition}` : ""}</title>
          <rect width=${NODE_W} height=${NODE_H} rx="8" />
          <text x="12" y="20" class="node-id">${clip(n.id, 20)}</text>
          <text x="12" y="38" class="node-sub">${clip(sub, 28)}</text>
        </g>`;
      })}
    </svg>
  </div>`;
}
