import type { MessageChannel } from "@/lib/messages/schema";
import { exitsOf, type JourneyDefinition, type JourneyNode } from "./schema";

/**
 * What stands between a draft and a publishable journey, each problem tied to the node (or
 * edge) it is about so the canvas can mark it: exactly one trigger, every node reachable
 * from it, every exit connected, no loop without a wait in it, every required field set, and
 * the segments and templates it names existing (with the template's channel matching).
 */

export interface JourneyIssue {
  nodeId: string | null;
  edgeId?: string;
  /** The node's field the problem is about ("templateId", "wait.duration"), for the inspector. */
  field?: string;
  message: string;
  /** About a segment, template or webhook the workspace no longer has: only a check with references (on the server) finds it. */
  reference?: true;
}

export interface JourneyReferences {
  segments: ReadonlySet<string>;
  /** Template id → its channel. */
  templates: ReadonlyMap<string, MessageChannel>;
  /** Webhook channels by id. */
  webhookChannels?: ReadonlySet<string>;
}

const KIND_NAMES: Record<JourneyNode["kind"], string> = {
  trigger: "The trigger",
  wait: "This wait",
  branch: "This branch",
  split: "This split",
  send: "This send",
  update: "This update",
  webhook: "This webhook",
  exit: "This exit",
};

export function checkJourney(def: JourneyDefinition, refs?: JourneyReferences): JourneyIssue[] {
  const issues: JourneyIssue[] = [];
  const nodes = new Map<string, JourneyNode>();
  for (const node of def.nodes) {
    if (nodes.has(node.id)) issues.push({ nodeId: node.id, message: `Two nodes share the id “${node.id}”.` });
    nodes.set(node.id, node);
  }

  const triggers = def.nodes.filter((n) => n.kind === "trigger");
  if (triggers.length === 0) issues.push({ nodeId: null, message: "A journey starts with a trigger: add one." });
  for (const extra of triggers.slice(1)) issues.push({ nodeId: extra.id, message: "A journey has exactly one trigger: remove this one or the other." });

  // Edges: between nodes that exist, leaving by an exit the node has, one per exit, never into the trigger.
  const out = new Map<string, Map<string, string>>();
  const edgeIds = new Set<string>();
  for (const edge of def.edges) {
    if (edgeIds.has(edge.id)) issues.push({ nodeId: edge.from, edgeId: edge.id, message: `Two connections share the id “${edge.id}”.` });
    edgeIds.add(edge.id);
    const from = nodes.get(edge.from);
    const to = nodes.get(edge.to);
    if (!from || !to) {
      issues.push({ nodeId: from ? edge.from : to ? edge.to : null, edgeId: edge.id, message: "This connection leads to or from a node that no longer exists." });
      continue;
    }
    if (!exitsOf(from).some((x) => x.id === edge.exit)) {
      issues.push({ nodeId: from.id, edgeId: edge.id, message: `${KIND_NAMES[from.kind]} has no exit “${edge.exit}” any more: remove the connection.` });
      continue;
    }
    if (to.kind === "trigger") {
      issues.push({ nodeId: from.id, edgeId: edge.id, message: "Nothing can lead back into the trigger." });
      continue;
    }
    const exits = out.get(from.id) ?? new Map<string, string>();
    if (exits.has(edge.exit)) issues.push({ nodeId: from.id, edgeId: edge.id, message: "One exit can lead to one node only." });
    exits.set(edge.exit, to.id);
    out.set(from.id, exits);
  }

  // Every exit goes somewhere.
  for (const node of def.nodes) {
    for (const exit of exitsOf(node)) {
      if (!out.get(node.id)?.has(exit.id)) issues.push({ nodeId: node.id, message: `“${exit.label}” leads nowhere: connect it to the next step (or an exit).` });
    }
  }

  // Every node is reached from the trigger.
  const start = triggers[0];
  if (start) {
    const seen = new Set([start.id]);
    const queue = [start.id];
    while (queue.length > 0) {
      for (const next of out.get(queue.pop()!)?.values() ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    // Marked where the path is broken (nothing leads in), not on every step after it.
    const unreachable = def.nodes.filter((n) => !seen.has(n.id) && n.kind !== "trigger");
    const ledTo = new Set([...out.values()].flatMap((exits) => [...exits.values()]));
    const broken = unreachable.filter((n) => !ledTo.has(n.id));
    for (const node of broken.length > 0 ? broken : unreachable) issues.push({ nodeId: node.id, message: "Nobody can reach this step: connect something to it, or remove it." });
  }

  // A loop must pass a wait, or people would go round it at once, for ever.
  for (const cycle of cyclesWithoutWait(def.nodes, out)) {
    for (const id of cycle) issues.push({ nodeId: id, message: "This step is on a loop with no wait in it: add a wait to the loop." });
  }

  for (const node of def.nodes) issues.push(...fieldIssues(node, refs));
  issues.push(...settingsIssues(def, refs));
  return issues;
}

/** Strongly connected groups (Tarjan) of the graph without waits' outgoing edges: each group of 2+ nodes, or a node leading to itself, is a loop with no wait. */
function cyclesWithoutWait(nodes: JourneyNode[], out: Map<string, Map<string, string>>): string[][] {
  const kinds = new Map(nodes.map((n) => [n.id, n.kind]));
  const next = (id: string) => (kinds.get(id) === "wait" ? [] : [...(out.get(id)?.values() ?? [])]);
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  // Iterative, so a long chain of nodes cannot overflow the call stack.
  for (const root of nodes.map((n) => n.id)) {
    if (indexOf.has(root)) continue;
    const work: { id: string; children: string[]; i: number }[] = [];
    const open = (id: string) => {
      indexOf.set(id, index);
      low.set(id, index++);
      stack.push(id);
      onStack.add(id);
      work.push({ id, children: next(id), i: 0 });
    };
    open(root);
    while (work.length > 0) {
      const frame = work.at(-1)!;
      if (frame.i < frame.children.length) {
        const child = frame.children[frame.i++]!;
        if (!indexOf.has(child)) open(child);
        else if (onStack.has(child)) low.set(frame.id, Math.min(low.get(frame.id)!, indexOf.get(child)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work.at(-1)!.id;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.id)!));
      }
      if (low.get(frame.id) === indexOf.get(frame.id)) {
        const group: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          group.push(member);
        } while (member !== frame.id);
        if (group.length > 1 || next(frame.id).includes(frame.id)) cycles.push(group.reverse());
      }
    }
  }
  return cycles;
}

function fieldIssues(node: JourneyNode, refs?: JourneyReferences): JourneyIssue[] {
  const issue = (field: string, message: string): JourneyIssue => ({ nodeId: node.id, field, message });
  const segment = (field: string, id: string | undefined, what: string): JourneyIssue[] =>
    !id ? [issue(field, `Choose ${what}.`)] : refs && !refs.segments.has(id) ? [{ ...issue(field, "This segment no longer exists (or is archived): choose another."), reference: true }] : [];
  switch (node.kind) {
    case "trigger": {
      const t = node.trigger;
      if (t.type === "event") return t.event ? [] : [issue("trigger.event", "Choose the event that starts the journey.")];
      if (t.type === "segment_entered" || t.type === "segment_exited") return segment("trigger.segmentId", t.segmentId, "the segment");
      if (t.type === "schedule") return [...segment("trigger.segmentId", t.segmentId, "who the schedule enrolls (a segment)"), ...(t.schedule ? [] : [issue("trigger.schedule", "Choose when it runs.")])];
      return [];
    }
    case "wait": {
      const w = node.wait;
      if (w.type === "duration") return w.duration ? [] : [issue("wait.duration", "Choose how long to wait.")];
      if (w.type === "time_of_day") return w.time ? [] : [issue("wait.time", "Choose the time of day.")];
      if (w.type === "date_trait") return w.trait ? [] : [issue("wait.trait", "Choose the date trait to wait for.")];
      return [...(w.event ? [] : [issue("wait.event", "Choose the event to wait for.")]), ...(w.timeout ? [] : [issue("wait.timeout", "Choose how long to wait at most.")])];
    }
    case "branch": {
      if (node.cases.length === 0) return [issue("cases", "Add a case: a condition people are sent one way by.")];
      const out: JourneyIssue[] = [];
      const names = new Set<string>();
      for (const [i, c] of node.cases.entries()) {
        if (!c.condition || c.condition.root.children.length === 0) out.push(issue(`cases.${i}.condition`, `Case “${c.name || i + 1}” needs a condition.`));
        if (!c.name.trim()) out.push(issue(`cases.${i}.name`, `Case ${i + 1} needs a name.`));
        else if (names.has(c.name.trim())) out.push(issue(`cases.${i}.name`, `Two cases are called “${c.name.trim()}”.`));
        names.add(c.name.trim());
      }
      return out;
    }
    case "split": {
      const out: JourneyIssue[] = [];
      if (node.arms.length < 2) out.push(issue("arms", "A split needs at least two arms."));
      const total = node.arms.reduce((sum, a) => sum + a.percent, 0);
      if (node.arms.length >= 2 && total !== 100) out.push(issue("arms", `The arms add up to ${total} %: they must add up to 100 %.`));
      if (node.arms.filter((a) => a.holdout).length > 1) out.push(issue("arms", "Only one arm can be the holdout."));
      for (const [i, a] of node.arms.entries()) if (!a.name.trim()) out.push(issue(`arms.${i}.name`, `Arm ${i + 1} needs a name.`));
      return out;
    }
    case "send": {
      if (!node.channel) return [issue("channel", "Choose the channel to send through.")];
      if (!node.templateId) return [issue("templateId", "Choose the message to send.")];
      const channel = refs?.templates.get(node.templateId);
      if (refs && !channel) return [{ ...issue("templateId", "This message no longer exists: choose another."), reference: true }];
      if (channel && channel !== node.channel) return [{ ...issue("templateId", `This is a ${channel} message; the step sends ${node.channel}.`), reference: true }];
      return [];
    }
    case "update": {
      if (!node.trait) return [issue("trait", "Choose the trait to change.")];
      if (node.op === "set" && (node.value === undefined || node.value === null)) return [issue("value", "Choose the value to set.")];
      if (node.op === "increment" && typeof node.value !== "number") return [issue("value", "Increment by a number.")];
      return [];
    }
    case "webhook": {
      if (!node.channelId) return [issue("channelId", "Choose the webhook to call.")];
      if (refs?.webhookChannels && !refs.webhookChannels.has(node.channelId)) return [{ ...issue("channelId", "This webhook channel no longer exists: choose another."), reference: true }];
      return [];
    }
    case "exit":
      return [];
  }
}

function settingsIssues(def: JourneyDefinition, refs?: JourneyReferences): JourneyIssue[] {
  const out: JourneyIssue[] = [];
  for (const [field, rule] of [
    ["settings.goal", def.settings.goal],
    ["settings.exitCriteria", def.settings.exitCriteria],
  ] as const) {
    if (!rule) continue;
    const what = field === "settings.goal" ? "The goal" : "The exit criteria";
    if (rule.type === "event" && !rule.event) out.push({ nodeId: null, field, message: `${what}: choose the event.` });
    if (rule.type === "segment" && !rule.segmentId) out.push({ nodeId: null, field, message: `${what}: choose the segment.` });
    if (rule.type === "segment" && rule.segmentId && refs && !refs.segments.has(rule.segmentId)) out.push({ nodeId: null, field, message: `${what}: this segment no longer exists.`, reference: true });
  }
  return out;
}

/** The ids of the segments and templates a journey names, to look up before checking references. */
export function referencesOf(def: JourneyDefinition): { segments: string[]; templates: string[] } {
  const segments = new Set<string>();
  const templates = new Set<string>();
  for (const node of def.nodes) {
    if (node.kind === "trigger" && "segmentId" in node.trigger && node.trigger.segmentId) segments.add(node.trigger.segmentId);
    if (node.kind === "send" && node.templateId) templates.add(node.templateId);
    if (node.kind === "webhook" && node.templateId) templates.add(node.templateId);
  }
  for (const rule of [def.settings.goal, def.settings.exitCriteria]) if (rule?.type === "segment" && rule.segmentId) segments.add(rule.segmentId);
  return { segments: [...segments], templates: [...templates] };
}
