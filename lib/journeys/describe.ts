import { formatDuration } from "@/lib/format";
import type { JourneyNode, Trigger } from "./schema";

/**
 * Journeys in words: a step's name, one line saying what it does (on the canvas, in the
 * history's diffs), a trigger's summary (in the list).
 */

const KIND_LABELS: Record<JourneyNode["kind"], string> = {
  trigger: "Trigger",
  wait: "Wait",
  branch: "Branch",
  split: "Split",
  send: "Send",
  update: "Update",
  webhook: "Webhook",
  exit: "Exit",
};

export function nodeLabel(node: JourneyNode): string {
  return node.label?.trim() || KIND_LABELS[node.kind];
}

/** "When feature_used happens (3× in 1 day)", for lists and the canvas. */
export function triggerSummary(trigger: Trigger | null): string {
  if (!trigger) return "—";
  switch (trigger.type) {
    case "event":
      return trigger.event ? `When ${trigger.event} happens${trigger.count ? ` (${trigger.count.atLeast}× in ${formatDuration(trigger.count.within)})` : ""}` : "An event (not chosen yet)";
    case "segment_entered":
      return "On entering a segment";
    case "segment_exited":
      return "On leaving a segment";
    case "schedule":
      return trigger.schedule?.kind === "recurring" ? "On a schedule" : "Once, at a set time";
    case "api":
      return "Through the enroll API";
  }
}

/** One line saying what a step does, on the canvas. */
export function nodeSummary(node: JourneyNode, templateNames: ReadonlyMap<string, string> = new Map()): string {
  switch (node.kind) {
    case "trigger":
      return triggerSummary(node.trigger);
    case "wait": {
      const w = node.wait;
      if (w.type === "duration") return w.duration ? formatDuration(w.duration) : "How long?";
      if (w.type === "time_of_day") return w.time ? `Until ${w.time}, their time` : "Until when?";
      if (w.type === "date_trait") return w.trait ? `Until ${w.trait}` : "Until which date?";
      return w.event ? `For ${w.event}${w.timeout ? `, at most ${formatDuration(w.timeout)}` : ""}` : "For which event?";
    }
    case "branch":
      return node.cases.length ? `${node.cases.length} case${node.cases.length === 1 ? "" : "s"} + everyone else` : "No cases yet";
    case "split":
      return node.arms.map((a) => `${a.name} ${a.percent}%`).join(" · ") || "No arms yet";
    case "send":
      return node.templateId ? (templateNames.get(node.templateId) ?? "A message that no longer exists") : `${node.channel ?? "A"} message (not chosen)`;
    case "update":
      return node.trait ? `${node.op} ${node.trait}${node.op !== "unset" && node.value !== undefined ? ` → ${String(node.value)}` : ""}` : "Which trait?";
    case "webhook":
      return node.channelId ? "Calls the webhook" : "Which webhook?";
    case "exit":
      return "Leaves the journey";
  }
}
