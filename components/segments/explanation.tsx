"use client";

import { Check, X } from "lucide-react";
import { describeNode } from "@/lib/segments/editing";
import type { Trace } from "@/lib/segments/evaluate";
import { walk, type SegmentNode } from "@/lib/segments/schema";
import { formatDateTime } from "@/lib/format";
import { useSubscriptionGroupChoices } from "../conditions/suggestions";
import { cn } from "../ui/cn";

function mentionsSubscription(node: SegmentNode): boolean {
  if (node.type !== "group") return node.type === "subscription";
  let found = false;
  walk(node, (n) => {
    if (n.type === "subscription") found = true;
  });
  return found;
}

function seenText(node: SegmentNode, seen: unknown): string | null {
  switch (node.type) {
    case "group":
      return null;
    case "trait":
      return seen === undefined ? "no such trait" : `has ${typeof seen === "string" ? `“${seen}”` : JSON.stringify(seen)}`;
    case "event":
      return `${String(seen)} matching event${seen === 1 ? "" : "s"}`;
    case "firstSeen":
    case "lastSeen":
      return typeof seen === "string" ? formatDateTime(new Date(seen)) : "never";
    case "segment":
      return seen ? "is a member" : "is not a member";
    case "bucket":
      return `bucket ${String(seen)}`;
    case "subscription":
      return seen ? "is subscribed" : "is not subscribed";
  }
}

/**
 * "Why": each node of a definition with ✓ or ✗ and what was seen for this person,
 * groups indented with how their children combine.
 */
export function Explanation({
  node,
  trace,
  segmentName,
  groupName,
  depth = 0,
}: {
  node: SegmentNode;
  trace: Trace;
  segmentName?: (id: string) => string;
  /** Names subscription groups; left out, the outermost explanation looks them up. */
  groupName?: (id: string) => string;
  depth?: number;
}) {
  const groups = useSubscriptionGroupChoices(groupName === undefined && depth === 0 && mentionsSubscription(node));
  const nameOfGroup = groupName ?? ((id: string) => groups?.find((g) => g.id === id)?.name ?? "a deleted group");
  const Icon = trace.holds ? Check : X;
  const mark = (
    <span
      className={cn("mt-0.5 flex size-4 shrink-0 items-center justify-center rounded-full", trace.holds ? "bg-emerald-100 text-emerald-700" : "bg-red-100 text-red-700")}
      aria-label={trace.holds ? "holds" : "does not hold"}
      role="img"
    >
      <Icon className="size-3" aria-hidden="true" />
    </span>
  );
  if (node.type === "group") {
    return (
      <div className={cn(depth > 0 && "border-l-2 border-slate-200 pl-3")}>
        <p className="flex items-start gap-2 text-sm text-slate-700">
          {mark}
          <span>
            {node.not ? (node.op === "and" ? "Not all of:" : "None of:") : node.op === "and" ? "All of:" : "Any of:"}
          </span>
        </p>
        <ul className="mt-1.5 space-y-1.5 pl-6">
          {node.children.map((child, i) => (
            <li key={child.id ?? i}>
              <Explanation node={child} trace={trace.children![i]!} segmentName={segmentName} groupName={nameOfGroup} depth={depth + 1} />
            </li>
          ))}
        </ul>
      </div>
    );
  }
  const seen = seenText(node, trace.seen);
  return (
    <p className="flex items-start gap-2 text-sm" data-testid="explained-condition" data-holds={trace.holds}>
      {mark}
      <span className="min-w-0">
        <span className="text-slate-800">{describeNode(node, segmentName, nameOfGroup)}</span>
        {seen && <span className="text-slate-500"> — {seen}</span>}
      </span>
    </p>
  );
}
