// A small layered ("Sugiyama") layout for workflow DAGs, drawn left to right:
// rank by longest path, long edges broken by virtual points, a few barycenter
// sweeps to reduce crossings, then coordinates. Pipelines have a handful to a
// few hundred steps, so this is plenty and keeps the bundle small.

export interface LayoutInput {
  id: string;
  /** Ids this node depends on (edges dependency → node); unknown ids are ignored. */
  dependencies: readonly string[];
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  rank: number;
}

export interface LaidEdge {
  from: string;
  to: string;
  /** From the source's right side, through any virtual points, to the target's left side. */
  points: [number, number][];
}

export interface Layout {
  width: number;
  height: number;
  nodes: Map<string, Box>;
  edges: LaidEdge[];
}

export interface LayoutOptions {
  nodeWidth?: number;
  nodeHeight?: number;
  /** Horizontal gap between ranks. */
  rankGap?: number;
  /** Vertical gap between nodes of a rank. */
  nodeGap?: number;
  margin?: number;
  sweeps?: number;
}

/** A slot in a rank: a real node, or a point of an edge that spans several ranks. */
interface Slot {
  key: string;
  real: boolean;
  preds: string[];
  succs: string[];
}

/** Longest-path rank of every node (sources are 0); a cycle, which validation forbids, is cut. */
export function ranks(nodes: readonly LayoutInput[]): Map<string, number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const rank = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = rank.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    let r = 0;
    for (const dep of byId.get(id)?.dependencies ?? []) if (byId.has(dep)) r = Math.max(r, visit(dep) + 1);
    visiting.delete(id);
    rank.set(id, r);
    return r;
  };
  for (const n of nodes) visit(n.id);
  return rank;
}

/** How many pairs of edges between adjacent ranks cross, for the given order. */
export function crossings(layers: readonly (readonly { key: string; succs: readonly string[] }[])[]): number {
  let count = 0;
  for (let r = 0; r + 1 < layers.length; r++) {
    const next = new Map(layers[r + 1]!.map((s, i) => [s.key, i]));
    const edges: [number, number][] = [];
    for (const [i, s] of layers[r]!.entries()) for (const t of s.succs) edges.push([i, next.get(t) ?? 0]);
    for (let a = 0; a < edges.length; a++) {
      for (let b = a + 1; b < edges.length; b++) {
        const [a1, a2] = edges[a]!;
        const [b1, b2] = edges[b]!;
        if ((a1 - b1) * (a2 - b2) < 0) count++;
      }
    }
  }
  return count;
}

export function layoutDag(nodes: readonly LayoutInput[], options: LayoutOptions = {}): Layout {
  const W = options.nodeWidth ?? 168;
  const H = options.nodeHeight ?? 48;
  const rankGap = options.rankGap ?? 64;
  const nodeGap = options.nodeGap ?? 20;
  const margin = options.margin ?? 16;
  const virtualHeight = 12;

  const rank = ranks(nodes);
  const slots = new Map<string, Slot>();
  const layers: Slot[][] = [];
  const place = (slot: Slot, r: number) => {
    slots.set(slot.key, slot);
    layers[r] ??= [];
    layers[r].push(slot);
  };
  for (const n of nodes) place({ key: n.id, real: true, preds: [], succs: [] }, rank.get(n.id)!);

  // Edges, with a virtual slot in every rank an edge passes through.
  const chains: { from: string; to: string; keys: string[] }[] = [];
  const known = new Set(nodes.map((n) => n.id));
  for (const n of nodes) {
    for (const dep of new Set(n.dependencies)) {
      if (!known.has(dep) || dep === n.id) continue;
      const keys = [dep];
      for (let r = rank.get(dep)! + 1; r < rank.get(n.id)!; r++) {
        const key = `\u0000${dep}\u0000${n.id}\u0000${r}`;
        place({ key, real: false, preds: [], succs: [] }, r);
        keys.push(key);
      }
      keys.push(n.id);
      for (let i = 0; i + 1 < keys.length; i++) {
        slots.get(keys[i]!)!.succs.push(keys[i + 1]!);
        slots.get(keys[i + 1]!)!.preds.push(keys[i]!);
      }
      chains.push({ from: dep, to: n.id, keys });
    }
  }
  for (let r = 0; r < layers.length; r++) layers[r] ??= [];

  // Barycenter sweeps, keeping the best order seen.
  const position = new Map<string, number>();
  const index = () => {
    for (const layer of layers) for (const [i, s] of layer.entries()) position.set(s.key, i);
  };
  const reorder = (layer: Slot[], neighbours: (s: Slot) => string[]) => {
    const centre = new Map<Slot, number>();
    layer.forEach((s, i) => {
      const around = neighbours(s).map((k) => position.get(k)!);
      centre.set(s, around.length > 0 ? around.reduce((a, b) => a + b, 0) / around.length : i);
    });
    layer.sort((a, b) => centre.get(a)! - centre.get(b)!);
    for (const [i, s] of layer.entries()) position.set(s.key, i);
  };
  index();
  let best = layers.map((l) => [...l]);
  let bestCrossings = crossings(layers);
  for (let sweep = 0; sweep < (options.sweeps ?? 8) && bestCrossings > 0; sweep++) {
    if (sweep % 2 === 0) for (let r = 1; r < layers.length; r++) reorder(layers[r]!, (s) => s.preds);
    else for (let r = layers.length - 2; r >= 0; r--) reorder(layers[r]!, (s) => s.succs);
    const c = crossings(layers);
    if (c < bestCrossings) {
      bestCrossings = c;
      best = layers.map((l) => [...l]);
    }
  }

  // Coordinates: each rank is a column, centred on the tallest one.
  const slotHeight = (s: Slot) => (s.real ? H : virtualHeight);
  const columnHeight = (layer: Slot[]) => layer.reduce((sum, s) => sum + slotHeight(s), 0) + Math.max(0, layer.length - 1) * nodeGap;
  const tallest = Math.max(0, ...best.map(columnHeight));
  const boxes = new Map<string, Box>();
  best.forEach((layer, r) => {
    let y = margin + (tallest - columnHeight(layer)) / 2;
    for (const s of layer) {
      boxes.set(s.key, { x: margin + r * (W + rankGap), y, width: W, height: slotHeight(s), rank: r });
      y += slotHeight(s) + nodeGap;
    }
  });

  const edges = chains.map(({ from, to, keys }): LaidEdge => {
    const points: [number, number][] = [];
    keys.forEach((key, i) => {
      const b = boxes.get(key)!;
      const mid = b.y + b.height / 2;
      if (i === 0) points.push([b.x + b.width, mid]);
      else if (i === keys.length - 1) points.push([b.x, mid]);
      else points.push([b.x, mid], [b.x + b.width, mid]);
    });
    return { from, to, points };
  });

  const nodesOut = new Map<string, Box>();
  for (const n of nodes) nodesOut.set(n.id, boxes.get(n.id)!);
  return {
    width: 2 * margin + Math.max(1, best.length) * W + Math.max(0, best.length - 1) * rankGap,
    height: 2 * margin + tallest,
    nodes: nodesOut,
    edges,
  };
}

/** An SVG path through the points with horizontal tangents, so edges leave and enter nodes level. */
export function edgePath(points: readonly [number, number][]): string {
  if (points.length === 0) return "";
  const [x0, y0] = points[0]!;
  let d = `M${x0},${y0}`;
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = points[i - 1]!;
    const [bx, by] = points[i]!;
    const dx = (bx - ax) / 2;
    d += ay === by ? ` L${bx},${by}` : ` C${ax + dx},${ay} ${bx - dx},${by} ${bx},${by}`;
  }
  return d;
}
