import type { JourneyDefinition, JourneyNode } from "./schema";
import { canonicalJson } from "@/lib/json";
import { nodeLabel, nodeSummary } from "./describe";

/**
 * What changed between two versions of a journey, as people read it in its history: steps
 * added, removed and changed (which of their fields), connections, and settings. Positions
 * on the canvas are not changes.
 */

export interface JourneyDiff {
  added: { id: string; kind: JourneyNode["kind"]; label: string }[];
  removed: { id: string; kind: JourneyNode["kind"]; label: string }[];
  /** `before`/`after`: what the step did and does, in words (the same when the change does not show in one line). */
  changed: { id: string; kind: JourneyNode["kind"]; label: string; fields: string[]; before: string; after: string }[];
  connections: { added: number; removed: number };
  settings: string[];
}

export function diffJourneys(before: JourneyDefinition, after: JourneyDefinition): JourneyDiff {
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  const describe = (n: JourneyNode) => ({ id: n.id, kind: n.kind, label: nodeLabel(n) });
  const changed: JourneyDiff["changed"] = [];
  for (const [id, node] of now) {
    const was = old.get(id);
    if (!was) continue;
    const keys = new Set([...Object.keys(was), ...Object.keys(node)].filter((k) => k !== "position" && k !== "id"));
    const fields = [...keys].filter((k) => canonicalJson((was as Record<string, unknown>)[k]) !== canonicalJson((node as Record<string, unknown>)[k])).sort();
    if (fields.length > 0) changed.push({ ...describe(node), fields, before: nodeSummary(was), after: nodeSummary(node) });
  }
  const edgeKey = (e: { from: string; exit: string; to: string }) => `${e.from}\u0000${e.exit}\u0000${e.to}`;
  const oldEdges = new Set(before.edges.map(edgeKey));
  const newEdges = new Set(after.edges.map(edgeKey));
  const settings = [...new Set([...Object.keys(before.settings), ...Object.keys(after.settings)])]
    .filter((k) => canonicalJson((before.settings as Record<string, unknown>)[k]) !== canonicalJson((after.settings as Record<string, unknown>)[k]))
    .sort();
  return {
    added: after.nodes.filter((n) => !old.has(n.id)).map(describe),
    removed: before.nodes.filter((n) => !now.has(n.id)).map(describe),
    changed,
    connections: { added: [...newEdges].filter((k) => !oldEdges.has(k)).length, removed: [...oldEdges].filter((k) => !newEdges.has(k)).length },
    settings,
  };
}

/** A step's fields and the journey's settings, as the history names them. */
const FIELD_WORDS: Record<string, string> = {
  label: "name",
  trigger: "trigger",
  wait: "wait",
  cases: "cases",
  arms: "arms",
  channel: "channel",
  templateId: "message",
  sender: "sender",
  onFailure: "what happens when it cannot be sent",
  trait: "trait",
  op: "change",
  value: "value",
  channelId: "webhook",
  goal: "goal",
  exitCriteria: "exit criteria",
  reentry: "re-entry",
  maxConcurrent: "people at once",
  phase: "lifecycle phase",
};
const words = (fields: string[]) => fields.map((f) => FIELD_WORDS[f] ?? f).join(", ");

/** One line per change, for the history list: "Wait: 24 hours → 20 hours", "Added Send". */
export function describeDiff(diff: JourneyDiff): string[] {
  const lines: string[] = [];
  for (const n of diff.added) lines.push(`Added ${n.label}`);
  for (const n of diff.removed) lines.push(`Removed ${n.label}`);
  for (const n of diff.changed) lines.push(n.before !== n.after ? `${n.label}: ${n.before} → ${n.after}` : `${n.label}: changed ${words(n.fields)}`);
  if (diff.connections.added || diff.connections.removed) {
    lines.push(`Connections: ${[diff.connections.added && `${diff.connections.added} added`, diff.connections.removed && `${diff.connections.removed} removed`].filter(Boolean).join(", ")}`);
  }
  if (diff.settings.length > 0) lines.push(`Settings changed: ${words(diff.settings)}`);
  return lines;
}
