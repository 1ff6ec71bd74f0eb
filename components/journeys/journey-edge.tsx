"use client";

import { BaseEdge, EdgeLabelRenderer, getSmoothStepPath, type Edge, type EdgeProps } from "@xyflow/react";
import { Plus } from "lucide-react";
import { createContext, useContext, useEffect, useRef, useState } from "react";
import { createPortal } from "react-dom";
import type { StepKind } from "@/lib/journeys/editing";
import { formatCount } from "@/lib/format";
import { cn } from "../ui/cn";
import { NODE_ICONS } from "./journey-node";

/** What a connection on the canvas shows: its exit's name, a number (reach, or people who went this way), on the path being simulated. */
export type CanvasEdge = Edge<{ label?: string; count?: { value: number | null; title: string }; highlighted?: boolean }, "journey">;

export const STEP_KINDS: { kind: StepKind; label: string }[] = [
  { kind: "wait", label: "Wait" },
  { kind: "branch", label: "Branch" },
  { kind: "split", label: "Split" },
  { kind: "send", label: "Send" },
  { kind: "update", label: "Update trait" },
  { kind: "webhook", label: "Webhook" },
  { kind: "exit", label: "Exit" },
];

/** The canvas's edit actions, for edges (their types are registered once, at module level, so they cannot close over the editor). */
export const CanvasActions = createContext<{ insert?: (edgeId: string, kind: StepKind) => void }>({});

export function JourneyEdgeView({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, markerEnd, selected }: EdgeProps<CanvasEdge>) {
  const [path, labelX, labelY] = getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: 12 });
  const { insert } = useContext(CanvasActions);
  // Where the menu opens (below the "+"), or null while closed.
  const [open, setOpen] = useState<{ x: number; y: number } | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);

  // The menu closes on Escape, on a click elsewhere and when the canvas moves under it.
  useEffect(() => {
    if (!open) return;
    const inside = (e: Event) => [menu.current, button.current].some((el) => el?.contains(e.target as Node));
    const onDown = (e: PointerEvent) => !inside(e) && setOpen(null);
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      setOpen(null);
      button.current?.focus();
    };
    const onWheel = () => setOpen(null);
    document.addEventListener("pointerdown", onDown);
    document.addEventListener("keydown", onKey);
    document.addEventListener("wheel", onWheel, { passive: true });
    menu.current?.querySelector<HTMLElement>("[role=menuitem]")?.focus();
    return () => {
      document.removeEventListener("pointerdown", onDown);
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("wheel", onWheel);
    };
  }, [open]);

  const count = data?.count;
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        markerEnd={markerEnd}
        style={{ stroke: data?.highlighted ? "var(--color-brand-500)" : selected ? "#64748b" : "#94a3b8", strokeWidth: data?.highlighted ? 3 : 1.5 }}
      />
      <EdgeLabelRenderer>
        <div
          className="nodrag nopan pointer-events-auto absolute flex items-center gap-1"
          style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          data-testid={`edge-${id}`}
        >
          {data?.label && <span className="rounded bg-white/90 px-1.5 py-0.5 text-[11px] font-medium text-slate-600 shadow-sm ring-1 ring-slate-200">{data.label}</span>}
          {count && (
            <span className="rounded bg-brand-50 px-1.5 py-0.5 text-[11px] font-semibold text-brand-800 ring-1 ring-brand-200" title={count.title} data-testid={`edge-count-${id}`}>
              {count.value === null ? "?" : formatCount(count.value)}
            </span>
          )}
          {insert && (
            <button
              ref={button}
              type="button"
              aria-label="Insert a step here"
              aria-haspopup="menu"
              aria-expanded={open !== null}
              title="Insert a step here"
              onClick={(e) => {
                const r = e.currentTarget.getBoundingClientRect();
                setOpen((o) => (o ? null : { x: r.left + r.width / 2, y: r.bottom + 4 }));
              }}
              className="flex size-5 items-center justify-center rounded-full border border-slate-300 bg-white text-slate-500 shadow-sm hover:border-brand-400 hover:text-brand-700 focus:ring-2 focus:ring-brand-500 focus:outline-none"
            >
              <Plus className="size-3" aria-hidden="true" />
            </button>
          )}
          {open &&
            insert &&
            // Above the nodes (the label layer lies beneath them), at the "+".
            createPortal(
            <div
              ref={menu}
              role="menu"
              aria-label="Step to insert"
              style={{ position: "fixed", left: open.x, top: open.y }}
              className="z-50 w-40 -translate-x-1/2 rounded-lg border border-slate-200 bg-white p-1 shadow-lg"
              onKeyDown={(e) => {
                if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
                e.preventDefault();
                const items = [...(menu.current?.querySelectorAll<HTMLElement>("[role=menuitem]") ?? [])];
                const at = items.indexOf(document.activeElement as HTMLElement);
                items[(at + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length]?.focus();
              }}
            >
              {STEP_KINDS.map((s) => {
                const Icon = NODE_ICONS[s.kind];
                return (
                  <button
                    key={s.kind}
                    type="button"
                    role="menuitem"
                    className={cn("flex w-full items-center gap-2 rounded px-2 py-1 text-left text-sm text-slate-700 hover:bg-brand-50 focus:bg-brand-50 focus:outline-none")}
                    onClick={() => {
                      setOpen(null);
                      insert(id, s.kind);
                    }}
                  >
                    <Icon className="size-3.5 text-brand-600" aria-hidden="true" /> {s.label}
                  </button>
                );
              })}
            </div>,
            document.body,
          )}
        </div>
      </EdgeLabelRenderer>
    </>
  );
}
