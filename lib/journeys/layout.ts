import { Graph, layout } from "@dagrejs/dagre";
import { NODE_SIZE } from "./editing";
import { exitsOf, type JourneyDefinition } from "./schema";

/* Its own module: dagre is loaded only when someone asks for a layout (the canvas's Tidy up). */

/** Tidy top-to-bottom positions (dagre): the trigger at the top, each exit's steps below in exit order. */
export function layoutJourney(def: JourneyDefinition): JourneyDefinition {
  if (def.nodes.length === 0) return def;
  const g = new Graph();
  g.setGraph({ rankdir: "TB", nodesep: 48, ranksep: 56, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of def.nodes) g.setNode(n.id, { width: NODE_SIZE.width, height: NODE_SIZE.height });
  // Exit order (yes before no, arm A before B) decides left to right: an order constraint
  // between the steps two neighbouring exits lead to (when they share a rank).
  const constraints: { left: string; right: string }[] = [];
  for (const n of def.nodes) {
    const targets: string[] = [];
    for (const x of exitsOf(n)) {
      const e = def.edges.find((edge) => edge.from === n.id && edge.exit === x.id);
      if (!e || !g.hasNode(e.to)) continue;
      g.setEdge(e.from, e.to);
      if (!targets.includes(e.to)) targets.push(e.to);
    }
    for (let i = 1; i < targets.length; i++) constraints.push({ left: targets[i - 1]!, right: targets[i]! });
  }
  layout(g, { constraints });
  const trigger = def.nodes.find((n) => n.kind === "trigger");
  const origin = trigger ? g.node(trigger.id) : undefined;
  const dx = origin ? origin.x : 0;
  const dy = origin ? origin.y : 0;
  return {
    ...def,
    nodes: def.nodes.map((n) => {
      const p = g.node(n.id);
      return p ? { ...n, position: { x: Math.round(p.x - dx), y: Math.round(p.y - dy) } } : n;
    }),
  };
}
