"use client";

import { Layers, Plus } from "lucide-react";
import { useId, useState } from "react";
import { newCondition, newGroup, type ConditionKind, type NodePath } from "@/lib/segments/editing";
import { KIND_ICONS, KIND_LABELS } from "../conditions/kinds";
import { Button } from "../ui/button";
import type { EditorContext } from "./node-editor";

/**
 * Where focus goes after the tree changed under it: the first field of the first node of
 * `keys` ("1.0") that exists, else `fallback` (a selector). After the next paint, once React
 * has rendered the change.
 */
export function focusNodeSoon(keys: string[], fallback?: string) {
  requestAnimationFrame(() => {
    for (const key of keys) {
      const node = document.querySelector<HTMLElement>(`[data-node-path="${key}"]`);
      const field =
        node?.querySelector<HTMLElement>("[data-node-body] :is(input, select, textarea):not([disabled])") ??
        node?.querySelector<HTMLElement>("button:not([disabled]), input, select");
      if (field) {
        field.focus();
        return;
      }
    }
    if (fallback) document.querySelector<HTMLElement>(fallback)?.focus();
  });
}

/** "Add condition" (a menu of condition kinds) and "Add group" for one group. */
export function AddMenu({ groupPath, childCount, ctx }: { groupPath: NodePath; childCount: number; ctx: EditorContext }) {
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const where = groupPath.length ? `group ${groupPath.map((i) => i + 1).join(".")}` : "segment";
  return (
    <div className="relative flex flex-wrap gap-2">
      <Button variant="secondary" size="sm" data-add-for={groupPath.join(".")} aria-haspopup="menu" aria-expanded={open} aria-controls={menuId} onClick={() => setOpen((o) => !o)}>
        <Plus className="size-3.5" aria-hidden="true" /> Add condition
      </Button>
      <Button variant="ghost" size="sm" onClick={() => {
          ctx.insert(groupPath, newGroup(groupPath.length % 2 === 0 ? "or" : "and"));
          focusNodeSoon([[...groupPath, childCount].join(".")]);
        }} aria-label={`Add group to ${where}`}>
        <Layers className="size-3.5" aria-hidden="true" /> Add group
      </Button>
      {open && (
        <ul
          id={menuId}
          role="menu"
          aria-label={`Condition kinds for ${where}`}
          className="absolute top-9 left-0 z-20 w-64 rounded-lg border border-slate-200 bg-white p-1 shadow-lg"
          onKeyDown={(e) => {
            if (e.key === "Escape") setOpen(false);
            if (e.key === "ArrowDown" || e.key === "ArrowUp") {
              e.preventDefault();
              const items = [...e.currentTarget.querySelectorAll<HTMLButtonElement>("[role=menuitem]")];
              const at = items.indexOf(document.activeElement as HTMLButtonElement);
              items[(at + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length]?.focus();
            }
          }}
        >
          {(Object.keys(KIND_LABELS) as ConditionKind[]).map((kind, i) => {
            const Icon = KIND_ICONS[kind];
            return (
              <li key={kind} role="none">
                <button
                  type="button"
                  role="menuitem"
                  autoFocus={i === 0}
                  className="flex w-full items-center gap-2 rounded-md px-2.5 py-1.5 text-left text-sm text-slate-700 hover:bg-slate-100 focus:bg-slate-100 focus:outline-none"
                  onClick={() => {
                    ctx.insert(groupPath, newCondition(kind));
                    setOpen(false);
                    // Straight on to the new condition's first field (not back to the page).
                    focusNodeSoon([[...groupPath, childCount].join(".")]);
                  }}
                >
                  <Icon className="size-4 text-slate-400" aria-hidden="true" /> {KIND_LABELS[kind]}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
