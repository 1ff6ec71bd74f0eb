import { exitsOf, type JourneyDefinition, type JourneyEdge, type JourneyNode } from "./schema";

/**
 * Editing a journey on the canvas, as pure operations on the definition: new steps with
 * sensible defaults, adding after a step or onto a connection, removing, copying and pasting
 * (fresh ids, the connections among the copied steps kept) and laying the graph out. The
 * editor keeps every result in its undo history.
 */

export type StepKind = Exclude<JourneyNode["kind"], "trigger">;

/** A step's footprint on the canvas (components/journeys/journey-node.tsx draws it 240 px wide). */
export const NODE_SIZE = { width: 240, height: 92 } as const;
/** Vertical distance between a step and the one added after it. */
const STEP_GAP = 140;

/** `prefix1`, `prefix2`…: the first id not taken (by a step, connection, case or arm). */
export function uniqueId(prefix: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let n = 1; ; n++) if (!used.has(`${prefix}${n}`)) return `${prefix}${n}`;
}

export function newNode(kind: StepKind, id: string, position: { x: number; y: number }): JourneyNode {
  switch (kind) {
    case "wait":
      return { id, kind, position, wait: { type: "duration", duration: { amount: 1, unit: "days" } } };
    case "branch":
      return { id, kind, position, cases: [{ id: "case1", name: "Case 1" }] };
    case "split":
      return { id, kind, position, arms: [{ id: "a", name: "A", percent: 50, holdout: false }, { id: "b", name: "B", percent: 50, holdout: false }] };
    case "send":
      return { id, kind, position, onFailure: "continue" };
    case "update":
      return { id, kind, position, op: "set" };
    case "webhook":
      return { id, kind, position };
    case "exit":
      return { id, kind, position };
  }
}

const edgeId = (def: JourneyDefinition) => uniqueId("e", def.edges.map((e) => e.id));

/** The node's exits that lead nowhere yet. */
export function freeExits(def: JourneyDefinition, node: JourneyNode) {
  return exitsOf(node).filter((x) => !def.edges.some((e) => e.from === node.id && e.exit === x.id));
}

/**
 * Adds a step: after `afterId` (its first free exit leads to it, placed below), at `position`
 * (dropped from the palette), or else below everything.
 */
export function addStep(def: JourneyDefinition, kind: StepKind, at: { afterId?: string | null; position?: { x: number; y: number } } = {}): { def: JourneyDefinition; id: string } {
  const id = uniqueId(kind, def.nodes.map((n) => n.id));
  const from = at.afterId ? def.nodes.find((n) => n.id === at.afterId) : undefined;
  const lowest = def.nodes.reduce((y, n) => Math.max(y, n.position.y), 0);
  const free = from ? freeExits(def, from)[0] : undefined;
  const siblings = from && free ? exitsOf(from).findIndex((x) => x.id === free.id) : 0;
  const position = at.position
    ? { x: Math.round(at.position.x), y: Math.round(at.position.y) }
    : from
      ? { x: from.position.x + siblings * (NODE_SIZE.width + 40), y: from.position.y + STEP_GAP }
      : { x: 0, y: def.nodes.length ? lowest + STEP_GAP : 0 };
  const edges = from && free ? [...def.edges, { id: edgeId(def), from: from.id, exit: free.id, to: id }] : def.edges;
  return { def: { ...def, nodes: [...def.nodes, newNode(kind, id, position)], edges }, id };
}

/**
 * Puts a new step on a connection: A → B becomes A → new → B (the new step's first exit leads
 * on to B), and whatever lies below moves down to make room.
 */
export function insertOnEdge(def: JourneyDefinition, edgeId_: string, kind: StepKind): { def: JourneyDefinition; id: string } | null {
  const edge = def.edges.find((e) => e.id === edgeId_);
  const from = edge && def.nodes.find((n) => n.id === edge.from);
  const to = edge && def.nodes.find((n) => n.id === edge.to);
  if (!edge || !from || !to) return null;
  const id = uniqueId(kind, def.nodes.map((n) => n.id));
  const node = newNode(kind, id, { x: to.position.x, y: to.position.y });
  const below = downstream(def, to.id);
  const nodes = def.nodes.map((n) => (below.has(n.id) ? { ...n, position: { x: n.position.x, y: n.position.y + STEP_GAP } } : n));
  const first = exitsOf(node)[0];
  const edges = def.edges.map((e) => (e.id === edge.id ? { ...e, to: id } : e));
  if (first) edges.push({ id: uniqueId("e", edges.map((e) => e.id)), from: id, exit: first.id, to: to.id });
  return { def: { ...def, nodes: [...nodes, node], edges }, id };
}

/** The node and every node reachable from it. */
function downstream(def: JourneyDefinition, start: string): Set<string> {
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length) {
    const at = queue.pop()!;
    for (const e of def.edges) {
      if (e.from !== at || seen.has(e.to)) continue;
      seen.add(e.to);
      queue.push(e.to);
    }
  }
  return seen;
}

/** Removes steps (never the trigger) and their connections. */
export function removeSteps(def: JourneyDefinition, ids: Iterable<string>): JourneyDefinition {
  const gone = new Set(ids);
  for (const n of def.nodes) if (n.kind === "trigger") gone.delete(n.id);
  if (gone.size === 0) return def;
  return { ...def, nodes: def.nodes.filter((n) => !gone.has(n.id)), edges: def.edges.filter((e) => !gone.has(e.from) && !gone.has(e.to)) };
}

/** What copy puts on the clipboard: steps and the connections among them. */
export interface Clipboard {
  kind: "junction/journey-steps";
  version: 1;
  nodes: JourneyNode[];
  edges: JourneyEdge[];
}

export function copySteps(def: JourneyDefinition, ids: Iterable<string>): Clipboard | null {
  const wanted = new Set(ids);
  const nodes = def.nodes.filter((n) => wanted.has(n.id) && n.kind !== "trigger");
  if (nodes.length === 0) return null;
  const kept = new Set(nodes.map((n) => n.id));
  return { kind: "junction/journey-steps", version: 1, nodes, edges: def.edges.filter((e) => kept.has(e.from) && kept.has(e.to)) };
}

/** Pastes copied steps with fresh ids, offset so they do not hide the originals; returns the new ids (selected afterwards). */
export function pasteSteps(def: JourneyDefinition, clip: Clipboard, offset = { x: 40, y: 40 }): { def: JourneyDefinition; ids: string[] } {
  const taken = new Set(def.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  const nodes: JourneyNode[] = [];
  for (const n of clip.nodes) {
    if (n.kind === "trigger") continue;
    const id = uniqueId(n.kind, taken);
    taken.add(id);
    rename.set(n.id, id);
    nodes.push({ ...structuredClone(n), id, position: { x: n.position.x + offset.x, y: n.position.y + offset.y } });
  }
  const edgeIds = new Set(def.edges.map((e) => e.id));
  const edges: JourneyEdge[] = [];
  for (const e of clip.edges) {
    const from = rename.get(e.from);
    const to = rename.get(e.to);
    if (!from || !to) continue;
    const id = uniqueId("e", edgeIds);
    edgeIds.add(id);
    edges.push({ id, from, exit: e.exit, to });
  }
  return { def: { ...def, nodes: [...def.nodes, ...nodes], edges: [...def.edges, ...edges] }, ids: nodes.map((n) => n.id) };
}

/** Reads a clipboard text back, or null when it is not copied journey steps. */
export function parseClipboard(text: string): Clipboard | null {
  try {
    const value = JSON.parse(text) as Partial<Clipboard>;
    return value?.kind === "junction/journey-steps" && value.version === 1 && Array.isArray(value.nodes) && Array.isArray(value.edges) ? (value as Clipboard) : null;
  } catch {
    return null;
  }
}
