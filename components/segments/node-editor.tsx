"use client";

import { ArrowDown, ArrowUp, GripVertical, Trash2, UsersRound } from "lucide-react";
import { Fragment, useState, type ReactNode } from "react";
import type { NodePath } from "@/lib/segments/editing";
import type { Condition, Group, SegmentNode } from "@/lib/segments/schema";
import { ConditionBody } from "../conditions/condition-body";
import { ConditionErrors, UnfinishedBadge } from "../conditions/condition-errors";
import type { ConditionContext } from "../conditions/editor-context";
import { KIND_ICONS, KIND_LABELS, KIND_TITLES } from "../conditions/kinds";
import { useConditionSuggestions } from "../conditions/suggestions";
import { Button } from "../ui/button";
import { cn } from "../ui/cn";
import { AddMenu, focusNodeSoon } from "./add-menu";

/** What the group editor needs: how to change the draft, the errors to show, the per-condition counts. */
export interface EditorContext {
  /** Replace the node at `path`; `group` coalesces rapid edits of one field into one undo step. */
  update: (path: NodePath, node: SegmentNode, group?: string) => void;
  insert: (groupPath: NodePath, node: SegmentNode) => void;
  remove: (path: NodePath) => void;
  move: (path: NodePath, to: number) => void;
  errors: Map<string, { field: string; message: string }[]>;
  /** Top-level conditions only: how many match each alone. */
  counts?: ({ text: string; title: string } | undefined)[];
  /** Nodes ("1.0") the count leaves out because they are unfinished. */
  unfinished?: ReadonlySet<string>;
  segments: { id: string; name: string }[];
  currentSegmentId?: string;
}

function errorFor(ctx: EditorContext, path: NodePath, field: string): string | undefined {
  return ctx.errors.get(path.join("."))?.find((e) => e.field === field || e.field.startsWith(`${field}.`))?.message;
}

/** The node being dragged (drag to reorder, within its group). */
let dragging: NodePath | null = null;
const sameParent = (a: NodePath, b: NodePath) => a.length === b.length && a.slice(0, -1).every((v, i) => v === b[i]);

/** Drop-target props for a node: another node of the same group dropped here takes its place. */
function useDropTarget(path: NodePath, ctx: EditorContext) {
  const [over, setOver] = useState(false);
  return {
    over,
    props: {
      onDragOver: (e: React.DragEvent) => {
        if (!dragging || !sameParent(dragging, path) || dragging.at(-1) === path.at(-1)) return;
        e.preventDefault();
        e.stopPropagation();
        e.dataTransfer.dropEffect = "move";
        setOver(true);
      },
      onDragLeave: () => setOver(false),
      onDrop: (e: React.DragEvent) => {
        setOver(false);
        if (!dragging || !sameParent(dragging, path)) return;
        e.preventDefault();
        e.stopPropagation();
        ctx.move(dragging, path.at(-1)!);
        dragging = null;
      },
    },
  };
}

function DragHandle({ path, label }: { path: NodePath; label: string }) {
  return (
    <span
      draggable
      title={`Drag to reorder ${label} (or use the arrows)`}
      aria-hidden="true"
      data-testid="drag-handle"
      className="cursor-grab text-slate-300 hover:text-slate-500 active:cursor-grabbing"
      onDragStart={(e) => {
        dragging = path;
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", label);
      }}
      onDragEnd={() => (dragging = null)}
    >
      <GripVertical className="size-4" />
    </span>
  );
}

function NodeActions({ path, siblings, ctx, label }: { path: NodePath; siblings: number; ctx: EditorContext; label: string }) {
  const index = path[path.length - 1]!;
  return (
    <div className="flex shrink-0 items-center gap-0.5 opacity-70 group-focus-within/node:opacity-100 group-hover/node:opacity-100">
      <Button variant="ghost" size="sm" aria-label={`Move ${label} up`} disabled={index === 0} onClick={() => ctx.move(path, index - 1)}>
        <ArrowUp className="size-3.5" aria-hidden="true" />
      </Button>
      <Button variant="ghost" size="sm" aria-label={`Move ${label} down`} disabled={index === siblings - 1} onClick={() => ctx.move(path, index + 1)}>
        <ArrowDown className="size-3.5" aria-hidden="true" />
      </Button>
      <Button
        variant="ghost"
        size="sm"
        aria-label={`Remove ${label}`}
        onClick={() => {
          ctx.remove(path);
          // The next node moves into this place; else the one before; else the group's "Add condition".
          const parent = path.slice(0, -1);
          focusNodeSoon([path.join("."), [...parent, index - 1].join(".")], `[data-add-for="${parent.join(".")}"]`);
        }}
      >
        <Trash2 className="size-3.5" aria-hidden="true" />
      </Button>
    </div>
  );
}

function ConditionRow({ node, path, siblings, ctx, count }: { node: Condition; path: NodePath; siblings: number; ctx: EditorContext; count?: { text: string; title: string } }) {
  const Icon = KIND_ICONS[node.type];
  const errors = ctx.errors.get(path.join(".")) ?? [];
  const leftOut = ctx.unfinished?.has(path.join(".")) ?? false;
  const label = `condition ${path.map((i) => i + 1).join(".")}`;
  const drop = useDropTarget(path, ctx);
  const suggestions = useConditionSuggestions(node);
  const condition: ConditionContext = { errorOf: (field) => errorFor(ctx, path, field), suggestions, segments: ctx.segments.filter((s) => s.id !== ctx.currentSegmentId) };
  return (
    <li
      {...drop.props}
      className={cn(
        "group/node rounded-lg border bg-white px-3 py-2.5 shadow-xs",
        errors.length ? "border-red-300 bg-red-50/30" : leftOut ? "border-amber-300 border-dashed" : "border-slate-200",
        drop.over && "ring-2 ring-brand-400",
      )}
      aria-label={`${KIND_LABELS[node.type]}, ${label}`}
      data-testid="condition"
      data-invalid={errors.length > 0 || undefined}
      data-unfinished={leftOut || undefined}
      data-node-path={path.join(".")}
    >
      <div className="flex items-center gap-2">
        <DragHandle path={path} label={label} />
        <Icon className="size-4 shrink-0 text-slate-400" aria-hidden="true" />
        <span className="text-xs font-semibold tracking-wide text-slate-500 uppercase">{KIND_TITLES[node.type]}</span>
        <span className="flex-1" />
        {leftOut && errors.length === 0 && <UnfinishedBadge />}
        {count && (
          <span className="inline-flex shrink-0 items-center gap-1 rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-600 tabular-nums" title={count.title} data-testid="condition-count">
            <UsersRound className="size-3" aria-hidden="true" />
            <span className="sr-only">{count.title}: </span>
            {count.text}
          </span>
        )}
        <NodeActions path={path} siblings={siblings} ctx={ctx} label={label} />
      </div>
      <div className="mt-1.5 ml-12 flex min-w-0 flex-wrap items-center gap-2" data-node-body>
        <ConditionBody node={node} ctx={condition} onChange={(next, field) => ctx.update(path, next, `${node.id}:${field}`)} />
      </div>
      <ConditionErrors errors={errors} className="mt-1.5 ml-12" />
    </li>
  );
}

/** A group: all/any toggle, negation, its children with labelled connectors, and add buttons. */
export function GroupEditor({ group, path, ctx, siblings = 1 }: { group: Group; path: NodePath; ctx: EditorContext; siblings?: number }) {
  const isRoot = path.length === 0;
  const connector = group.op === "and" ? "AND" : "OR";
  const errors = ctx.errors.get(path.join(".")) ?? [];
  const label = isRoot ? "segment" : `group ${path.map((i) => i + 1).join(".")}`;
  const drop = useDropTarget(path, ctx);
  const body: ReactNode = (
    <>
      <div className="flex flex-wrap items-center gap-2">
        {!isRoot && <DragHandle path={path} label={label} />}
        {group.not && <span className="rounded bg-red-100 px-1.5 py-0.5 text-xs font-semibold text-red-700">NOT</span>}
        <span className="text-sm text-slate-700">{isRoot ? "People who match" : "Match"}</span>
        <div role="radiogroup" aria-label={`How the conditions of the ${label} combine`} className="inline-flex rounded-md bg-slate-100 p-0.5">
          {(["and", "or"] as const).map((op) => (
            <button
              key={op}
              type="button"
              role="radio"
              aria-checked={group.op === op}
              // One tab stop for the pair; the arrow keys switch between ALL and ANY (the radio group pattern).
              tabIndex={group.op === op ? 0 : -1}
              className={cn("rounded px-2.5 py-1 text-xs font-semibold", group.op === op ? "bg-white text-slate-900 shadow-xs" : "text-slate-500 hover:text-slate-700")}
              onClick={() => ctx.update(path, { ...group, op }, `${group.id}:op`)}
              onKeyDown={(e) => {
                if (!["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].includes(e.key)) return;
                e.preventDefault();
                const next = group.op === "and" ? "or" : "and";
                ctx.update(path, { ...group, op: next }, `${group.id}:op`);
                const radios = e.currentTarget.parentElement?.querySelectorAll<HTMLButtonElement>("[role=radio]");
                radios?.[next === "and" ? 0 : 1]?.focus();
              }}
            >
              {op === "and" ? "ALL" : "ANY"}
            </button>
          ))}
        </div>
        <span className="text-sm text-slate-700">of these</span>
        <label className="ml-2 inline-flex items-center gap-1.5 text-sm text-slate-600">
          <input type="checkbox" className="size-4 rounded border-slate-300 text-brand-600" checked={group.not === true} onChange={(e) => ctx.update(path, { ...group, not: e.target.checked || undefined }, `${group.id}:not`)} />
          Exclude {isRoot ? "them (NOT)" : "people who match (NOT)"}
        </label>
        {!isRoot && (
          <div className="ml-auto">
            <NodeActions path={path} siblings={siblings} ctx={ctx} label={label} />
          </div>
        )}
      </div>
      {errors.length > 0 && (
        <p role="alert" className="text-xs font-medium text-red-600">
          {errors.map((e) => e.message).join("; ")}
        </p>
      )}
      {group.children.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 px-3 py-4 text-center text-sm text-slate-500">
          {isRoot ? "No conditions yet: this segment is everyone. Add a condition to narrow it down." : "An empty group. Add conditions to it, or remove it."}
        </p>
      ) : (
        <ol className="flex flex-col gap-0" aria-label={`Conditions of the ${label}`}>
          {group.children.map((child, i) => {
            const childPath = [...path, i];
            return (
              <Fragment key={child.id ?? i}>
                {i > 0 && (
                  <li aria-hidden="true" className="relative flex h-7 items-center pl-5">
                    <span className="absolute top-0 bottom-0 left-[21px] w-px bg-slate-300" />
                    <span className={cn("relative rounded-full px-2 py-0.5 text-[11px] font-bold tracking-wide", group.op === "and" ? "bg-brand-100 text-brand-700" : "bg-amber-100 text-amber-800")}>
                      {connector}
                    </span>
                  </li>
                )}
                {child.type === "group" ? (
                  <li className="list-none">
                    <GroupEditor group={child} path={childPath} ctx={ctx} siblings={group.children.length} />
                  </li>
                ) : (
                  <ConditionRow node={child} path={childPath} siblings={group.children.length} ctx={ctx} count={isRoot ? ctx.counts?.[i] : undefined} />
                )}
              </Fragment>
            );
          })}
        </ol>
      )}
      <AddMenu groupPath={path} childCount={group.children.length} ctx={ctx} />
    </>
  );
  if (isRoot) return <div className="flex flex-col gap-3">{body}</div>;
  return (
    <div
      {...drop.props}
      className={cn(
        "group/node flex flex-col gap-3 rounded-xl border-l-4 px-4 py-3",
        group.not ? "border-red-300 bg-red-50/40" : group.op === "and" ? "border-brand-300 bg-brand-50/40" : "border-amber-300 bg-amber-50/40",
        drop.over && "ring-2 ring-brand-400",
      )}
      data-testid="group"
      data-node-path={path.join(".")}
      aria-label={label}
      role="group"
    >
      {body}
    </div>
  );
}
