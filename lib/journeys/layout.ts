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
  // Exit order (yes before no, arm A before B) decides left to right.
  for (const n of def.nodes) {
    for (const x of exitsOf(n)) {
      const e = def.edges.find((edge) => edge.from === n.id && edge.exit === x.id);
      if (e && g.hasNode(e.to)) g.setEdge(e.from, e.to);
    }
  }
  layout(g);
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
