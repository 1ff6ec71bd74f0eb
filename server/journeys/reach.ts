import { exitsOf, type JourneyDefinition, type JourneyNode, type Trigger } from "@/lib/journeys/schema";
import { compileEvaluator, type EvalInput } from "@/lib/segments/evaluate";
import { ZSegmentDefinition, type SegmentDefinition } from "@/lib/segments/schema";
import { sql, type Db } from "@/server/db/client";
import { estimateCount, exactCount } from "@/server/segments/preview";
import { sampleOf, upToDate } from "@/server/segments/sample";
import { readDataVersion } from "@/server/workspaces/data-version";

/**
 * Reach preview: before publishing, how many people the journey's entry takes in now, and
 * how that number divides along the graph.
 *
 * - The entry: a segment trigger (entered, or a schedule over a segment) reaches the
 *   segment's members — the segment builder's estimate, then on request its exact count;
 *   "segment exited" could take any of its current members; an event trigger reaches the
 *   people who performed the event (with its filters) in the last 7 days, a seventh of them
 *   a day; the enroll API is unknown in advance.
 * - The edges: the people of the in-memory sample (server/segments/sample.ts) who match the
 *   entry walk the graph: a branch evaluates its cases in order on each of them (now), a
 *   split divides by its arms' percentages, a wait for an event could go either way (both
 *   edges unknown), every other step passes everyone on. Each node's number is divided among
 *   its exits in the sample's proportions, rounded so the parts add up to the whole.
 *   Nobody counted comes back round a loop (such edges are unknown).
 */

export const REACH_EVENT_DAYS = 7;

export interface ReachEntry {
  kind: Trigger["type"] | "none";
  /** What the entry is: the segment's or the event's name; or why the number is unknown. */
  label: string;
  /** Null: not known in advance (API), or the trigger is not complete. */
  estimate: number | null;
  /** The estimate's 95 % interval (a sampled estimate). */
  low?: number;
  high?: number;
  /** The precise count: with `exact`, or whenever the estimate counted everyone (small workspaces). */
  exact?: number;
  /** Event triggers: expected people a day (the last 7 days' count ÷ 7). */
  perDay?: number;
  /** A saved segment's exact count is its membership as of its last refresh (kept current as events arrive). */
  asOf?: Date;
}

export interface JourneyReach {
  entry: ReachEntry;
  /** People along each edge (by edge id); null where it cannot be known in advance. */
  edges: Record<string, number | null>;
  /** True when the edges were divided on a sample of the people rather than everyone. */
  sampled: boolean;
}

/** "Performed `event` (with filters) at least once in the last 7 days", as a segment definition. */
export function eventEntryDefinition(trigger: Extract<Trigger, { type: "event" }> & { event: string }): SegmentDefinition {
  return {
    schemaVersion: 1,
    root: {
      type: "group",
      op: "and",
      children: [{ type: "event", event: trigger.event, where: trigger.filters, count: { op: "gte", value: 1 }, window: { kind: "last", amount: REACH_EVENT_DAYS, unit: "days" } }],
    },
  };
}

/** The entry as a segment definition, with its label; or why there is none. */
async function entryOf(
  db: Db,
  workspaceId: string,
  def: JourneyDefinition,
): Promise<{ kind: ReachEntry["kind"]; label: string; definition: SegmentDefinition | null; members?: { size: number; refreshedAt: Date } }> {
  const trigger = def.nodes.find((n) => n.kind === "trigger");
  if (trigger?.kind !== "trigger") return { kind: "none", label: "Add a trigger to see who enters.", definition: null };
  const t = trigger.trigger;
  switch (t.type) {
    case "api":
      return { kind: t.type, label: "People enter through the enroll API: how many is not known in advance.", definition: null };
    case "event":
      if (!t.event) return { kind: t.type, label: "Choose the event that starts the journey.", definition: null };
      return { kind: t.type, label: t.event, definition: eventEntryDefinition({ ...t, event: t.event }) };
    case "segment_entered":
    case "segment_exited":
    case "schedule": {
      if (!t.segmentId) return { kind: t.type, label: "Choose the segment.", definition: null };
      const row = await db.segment.findFirst({ where: { id: t.segmentId, workspaceId, archivedAt: null }, select: { name: true, definition: true, size: true, refreshedAt: true } });
      const parsed = row ? ZSegmentDefinition.safeParse(row.definition) : null;
      if (!row || !parsed?.success) return { kind: t.type, label: "This segment no longer exists: choose another.", definition: null };
      return { kind: t.type, label: row.name, definition: parsed.data, members: row.refreshedAt ? { size: row.size, refreshedAt: row.refreshedAt } : undefined };
    }
  }
}

/** `total` divided in proportion to `weights`, whole numbers adding up to `total` (largest remainders). */
export function divide(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    parts[i]!++;
    left--;
  }
  return parts;
}

interface Flow {
  /** People reaching the node; null: unknown. */
  count: number | null;
  /** The sample's people reaching it, each with the share of them that does (splits divide it). */
  people: { person: EvalInput; weight: number }[];
}

/**
 * How `entry` people divide along the edges, walking the sample's matching people through
 * the graph in topological order (edges closing a loop are left unknown).
 */
export function divideAlongEdges(def: JourneyDefinition, entry: number | null, people: EvalInput[], now: Date): Record<string, number | null> {
  const nodes = new Map(def.nodes.map((n) => [n.id, n]));
  const edges: Record<string, number | null> = {};
  const out = new Map<string, { id: string; exit: string; to: string }[]>();
  for (const e of def.edges) {
    edges[e.id] = 0;
    const from = nodes.get(e.from);
    if (!from || !nodes.has(e.to) || !exitsOf(from).some((x) => x.id === e.exit)) continue;
    const list = out.get(e.from) ?? [];
    // One exit leads to one node: a second edge on the same exit is ignored (the interpreter follows one).
    if (!list.some((x) => x.exit === e.exit)) list.push({ id: e.id, exit: e.exit, to: e.to });
    out.set(e.from, list);
  }
  const trigger = def.nodes.find((n) => n.kind === "trigger");
  if (!trigger) return edges;

  // Edges that close a loop (back edges of a depth-first walk from the trigger).
  const back = new Set<string>();
  const state = new Map<string, "open" | "done">();
  const stack: { id: string; i: number }[] = [{ id: trigger.id, i: 0 }];
  state.set(trigger.id, "open");
  while (stack.length > 0) {
    const top = stack.at(-1)!;
    const next = (out.get(top.id) ?? [])[top.i++];
    if (!next) {
      state.set(top.id, "done");
      stack.pop();
      continue;
    }
    const seen = state.get(next.to);
    if (seen === "open") back.add(next.id);
    else if (!seen) {
      state.set(next.to, "open");
      stack.push({ id: next.to, i: 0 });
    }
  }

  // Kahn over the edges that remain, from the trigger.
  const pending = new Map<string, number>();
  for (const [from, list] of out) {
    if (!state.has(from)) continue;
    for (const e of list) if (!back.has(e.id)) pending.set(e.to, (pending.get(e.to) ?? 0) + 1);
  }
  const inflow = new Map<string, Flow>([[trigger.id, { count: entry, people: people.map((person) => ({ person, weight: 1 })) }]]);
  const ready = [trigger.id];
  while (ready.length > 0) {
    const node = nodes.get(ready.shift()!)!;
    const flow = inflow.get(node.id) ?? { count: 0, people: [] };
    const exits = out.get(node.id) ?? [];
    const parts = divideNode(node, flow, now);
    for (const e of exits) {
      const part = back.has(e.id) ? { count: null, people: [] } : (parts.get(e.exit) ?? { count: 0, people: [] });
      edges[e.id] = back.has(e.id) ? null : part.count;
      if (back.has(e.id)) continue;
      const into = inflow.get(e.to);
      inflow.set(e.to, into ? { count: into.count === null || part.count === null ? null : into.count + part.count, people: into.people.concat(part.people) } : { count: part.count, people: part.people });
      const left = pending.get(e.to)! - 1;
      pending.set(e.to, left);
      if (left === 0) ready.push(e.to);
    }
  }
  return edges;
}

/** A node's people, by exit. */
function divideNode(node: JourneyNode, flow: Flow, now: Date): Map<string, Flow> {
  const exits = exitsOf(node).map((x) => x.id);
  const unknown = () => new Map(exits.map((x) => [x, { count: null, people: [] } as Flow]));
  const byWeights = (groups: Flow["people"][], weights: number[]): Map<string, Flow> => {
    const total = weights.reduce((a, b) => a + b, 0);
    // Nobody of the sample gets here (a rare entry): the division cannot be told, unless there is nobody to divide.
    if (flow.count !== null && flow.count > 0 && total <= 0) return new Map(exits.map((x, i) => [x, { count: null, people: groups[i]! }]));
    const counts = flow.count === null ? exits.map(() => null) : divide(flow.count, weights);
    return new Map(exits.map((x, i) => [x, { count: counts[i]!, people: groups[i]! }]));
  };
  switch (node.kind) {
    case "wait":
      // Who performs the event before the timeout cannot be known in advance.
      if (node.wait.type === "event") return unknown();
      return new Map([["next", flow]]);
    case "branch": {
      const cases = node.cases.map((c) => (c.condition ? compileEvaluator(c.condition, now) : null));
      const groups: Flow["people"][] = exits.map(() => []);
      for (const p of flow.people) {
        const k = cases.findIndex((matches) => matches !== null && matches(p.person));
        groups[k === -1 ? cases.length : k]!.push(p);
      }
      return byWeights(groups, groups.map((g) => g.reduce((sum, p) => sum + p.weight, 0)));
    }
    case "split": {
      const percents = node.arms.map((a) => a.percent);
      const counts = flow.count === null ? node.arms.map(() => null) : divide(flow.count, percents);
      return new Map(node.arms.map((a, i) => [a.id, { count: counts[i]!, people: flow.people.map((p) => ({ person: p.person, weight: (p.weight * a.percent) / 100 })) }]));
    }
    case "exit":
      return new Map();
    default:
      return new Map([["next", flow]]);
  }
}

export async function journeyReach(
  db: Db,
  input: { workspaceId: string; definition: JourneyDefinition; exact?: boolean; now?: Date; signal?: AbortSignal; exactBelow?: number; sampleProfiles?: number },
): Promise<JourneyReach> {
  const now = input.now ?? new Date();
  const { kind, label, definition, members } = await entryOf(db, input.workspaceId, input.definition);
  const edges = Object.fromEntries(input.definition.edges.map((e) => [e.id, null]));
  if (!definition) return { entry: { kind, label, estimate: null }, edges, sampled: false };

  const preview = { workspaceId: input.workspaceId, definition, now, signal: input.signal, exactBelow: input.exactBelow, sampleProfiles: input.sampleProfiles };
  const estimate = await estimateCount(db, preview);
  const entry: ReachEntry = { kind, label, estimate: estimate.estimate };
  if (estimate.exact === undefined) Object.assign(entry, { low: estimate.low, high: estimate.high });
  // Small workspaces are counted exactly by the estimate already; a saved segment's exact
  // number is its stored membership (milliseconds, where counting it anew takes seconds at 1M).
  if (input.exact && estimate.exact === undefined && members) entry.asOf = members.refreshedAt;
  const known = estimate.exact ?? (input.exact ? (members?.size ?? (await exactCount(db, preview)).exact) : undefined);
  if (known !== undefined) entry.exact = known;
  const count = known ?? estimate.estimate;
  if (kind === "event") entry.perDay = count / REACH_EVENT_DAYS;

  // The division: the sample's people who match the entry, walked through the graph.
  const { profiles: total, version } = await readDataVersion(sql(db), input.workspaceId);
  const loaded = await sampleOf(db, input.workspaceId, { total, profiles: input.sampleProfiles });
  const { sample } = await upToDate(db, input.workspaceId, loaded, version);
  const n = sample.bucketEnds.at(-1) ?? 0;
  const matches = compileEvaluator(definition, now);
  const people: EvalInput[] = [];
  for (let i = 0; i < n; i++) if (matches(sample.people[i]!)) people.push(sample.people[i]!);
  return { entry, edges: divideAlongEdges(input.definition, count, people, now), sampled: n < total };
}
