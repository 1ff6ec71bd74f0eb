"use client";

import { Handle, Position, type NodeProps, type Node } from "@xyflow/react";
import { Clock, DoorOpen, GitBranch, Mail, PencilLine, Split, Webhook, Zap, type LucideIcon } from "lucide-react";
import { exitsOf, type JourneyNode } from "@/lib/journeys/schema";
import type { JourneyIssue } from "@/lib/journeys/graph";
import { nodeLabel } from "@/lib/journeys/describe";
import { formatCount } from "@/lib/format";
import { cn } from "../ui/cn";

export const NODE_ICONS: Record<JourneyNode["kind"], LucideIcon> = {
  trigger: Zap,
  wait: Clock,
  branch: GitBranch,
  split: Split,
  send: Mail,
  update: PencilLine,
  webhook: Webhook,
  exit: DoorOpen,
};


export type CanvasNode = Node<
  {
    node: JourneyNode;
    issues: JourneyIssue[];
    summary: string;
    /** On the path of the simulated person: passed, or where they are now. */
    highlight?: "visited" | "current";
    /** Live journeys: people waiting at this step now. */
    waiting?: number;
  },
  "journey"
>;

export function JourneyNodeView({ data, selected }: NodeProps<CanvasNode>) {
  const { node, issues, summary, highlight, waiting } = data;
  const Icon = NODE_ICONS[node.kind];
  const exits = exitsOf(node);
  return (
    <div
      className={cn(
        "w-60 rounded-lg border bg-white text-left shadow-sm",
        issues.length > 0 ? "border-red-300" : "border-slate-200",
        highlight === "visited" && "border-brand-300 bg-brand-50/40",
        highlight === "current" && "border-brand-500 bg-brand-50 shadow-md",
        selected && "ring-2 ring-brand-500",
      )}
      data-highlight={highlight}
      data-testid={`node-${node.id}`}
      aria-invalid={issues.length > 0 || undefined}
    >
      {node.kind !== "trigger" && <Handle type="target" position={Position.Top} className="!size-2.5 !border-2 !border-white !bg-slate-400" />}
      <div className="flex items-center gap-2 border-b border-slate-100 px-3 py-2">
        <span className={cn("flex size-6 items-center justify-center rounded-md", node.kind === "trigger" ? "bg-amber-100 text-amber-700" : node.kind === "exit" ? "bg-slate-100 text-slate-600" : "bg-brand-50 text-brand-700")}>
          <Icon className="size-3.5" aria-hidden="true" />
        </span>
        <span className="min-w-0 flex-1 truncate text-sm font-semibold text-slate-900">{nodeLabel(node)}</span>
        {waiting !== undefined && (
          <span className="rounded-full bg-emerald-100 px-1.5 text-xs font-medium text-emerald-800" title={`${waiting} waiting here now`} data-testid={`waiting-${node.id}`}>
            {formatCount(waiting)}
          </span>
        )}
        {issues.length > 0 && (
          <span className="rounded-full bg-red-100 px-1.5 text-xs font-medium text-red-700" title={issues.map((i) => i.message).join("\n")}>
            {issues.length}
          </span>
        )}
      </div>
      <p className="truncate px-3 py-2 text-xs text-slate-600" title={summary}>
        {summary}
      </p>
      {exits.length > 0 && (
        <div className="flex justify-around gap-1 px-2 pb-1.5">
          {exits.map((exit) => (
            <span key={exit.id} className="relative max-w-24 truncate text-[10px] text-slate-500" title={exit.label}>
              {exits.length > 1 ? exit.label : ""}
            </span>
          ))}
        </div>
      )}
      {exits.map((exit, i) => (
        <Handle
          key={exit.id}
          id={exit.id}
          type="source"
          position={Position.Bottom}
          style={{ left: `${((i + 1) / (exits.length + 1)) * 100}%` }}
          className="!size-2.5 !border-2 !border-white !bg-brand-500"
          title={exit.label}
        />
      ))}
    </div>
  );
}
