"use client";

import "@xyflow/react/dist/style.css";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Background, Controls, MiniMap, Panel, ReactFlow, type Connection, type EdgeChange, type NodeChange, type ReactFlowInstance } from "@xyflow/react";
import { ArrowLeft, CircleAlert, History, Inbox, LayoutGrid, Redo2, Undo2 } from "lucide-react";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { toast } from "sonner";
import { can } from "@/lib/auth/roles";
import { checkJourney, type JourneyIssue } from "@/lib/journeys/graph";
import { addStep, copySteps, insertOnEdge, NODE_SIZE, parseClipboard, pasteSteps, removeSteps, uniqueId, type Clipboard, type StepKind } from "@/lib/journeys/editing";
import { exitsOf, type JourneyDefinition, type JourneyEdge, type JourneyNode } from "@/lib/journeys/schema";
import { formatCount, formatPercent, relativeTime } from "@/lib/format";
import { nodeLabel, nodeSummary } from "@/lib/journeys/describe";
import { createHistory, record, redo, seal, undo, type History as UndoHistory } from "@/lib/undo";
import { errorMessage, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { QueryError } from "../ui/query-error";
import { useDebounced } from "../ui/use-debounced";
import { useLeaveGuard } from "../ui/use-leave-guard";
import { useUndoKeys } from "../ui/use-undo-keys";
import { cn } from "../ui/cn";
import { CanvasActions, JourneyEdgeView, STEP_KINDS, type CanvasEdge } from "./journey-edge";
import { Inspector } from "./inspector";
import { PeopleAtNode } from "./people-at-node";
import { ReachSummary } from "./reach-summary";
import { SimulationPanel } from "./simulation-panel";
import { LiftCard } from "./lift-card";
import { WhyNotPanel } from "./why-not-panel";
import { useJourneyReach } from "./use-reach";
import { useJourneyStats } from "./use-journey-stats";
import { JourneySettingsForm } from "./journey-settings";
import { JourneyNodeView, NODE_ICONS, type CanvasNode } from "./journey-node";
import { STATUS_TONES } from "./journey-list";

// Registered once, at module level: React Flow re-mounts every node when these objects change.
const NODE_TYPES = { journey: JourneyNodeView };
const EDGE_TYPES = { journey: JourneyEdgeView };
/**
 * What React Flow was handed for each step and connection of the draft (by object: an edit
 * replaces only what it changes), reused while what it shows is the same, so a change
 * re-renders only the steps and connections it touches.
 */
const canvasNodes = new WeakMap<JourneyNode, { key: string; node: CanvasNode }>();
const canvasEdges = new WeakMap<JourneyEdge, { key: string; edge: CanvasEdge }>();
/** A step on the minimap: red while it has a problem. Module level, so the minimap is not redrawn for a new function. */
const minimapColor = (n: CanvasNode) => (n.data.issues.length ? "#fca5a5" : "#c7d2fe");
/** The drag-and-drop type of a step dragged from the palette onto the canvas. */
const STEP_DRAG_TYPE = "application/x-junction-step";
/** Where copied steps wait for a paste that brings no clipboard text (the browser refused it). */
const CLIPBOARD_KEY = "junction.journey-clipboard";

/** Focus is in a field that handles copy, paste and its own undo. */
/** Below this the steps' text is hard to read: a tall journey is shown from the top at this size instead of shrunk to fit. */
const READABLE_ZOOM = 0.8;

type Panel = "edit" | "reach" | "simulate" | "live" | "history";

function typing(target: EventTarget | null) {
  const el = target as HTMLElement | null;
  return Boolean(el && (el.closest("input, textarea, select, [contenteditable=true], .cm-editor") || el.closest("dialog[open]")));
}

export function JourneyEditor({ journeyId }: { journeyId: string }) {
  const trpc = useTRPC();
  const journey = useQuery(trpc.journeys.get.queryOptions({ id: journeyId }));
  if (journey.isError) return <QueryError error={journey.error} what="this journey" onRetry={() => void journey.refetch()} retrying={journey.isRefetching} />;
  if (!journey.data) return <div className="h-[36rem] animate-pulse rounded-xl bg-slate-100" aria-label="Loading journey" />;
  return <Canvas key={journey.data.id} initial={journey.data} />;
}

interface Loaded {
  id: string;
  name: string;
  status: "draft" | "live" | "paused" | "archived";
  revision: number;
  liveVersion: number | null;
  draft: JourneyDefinition;
  issues: JourneyIssue[];
}

function Canvas({ initial }: { initial: Loaded }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const templates = useQuery(trpc.messages.list.queryOptions({}));
  const versions = useQuery(trpc.journeys.history.queryOptions({ id: initial.id }));
  const canEdit = can(workspace.data?.role, "journeys.publish") && initial.status !== "archived";

  const [history, setHistory] = useState<UndoHistory<JourneyDefinition>>(() => createHistory(initial.draft));
  const draft = history.present;
  /** Every edit goes through here, into the undo history; `group` makes a burst (typing, a drag) one step. */
  const change = useCallback((edit: (d: JourneyDefinition) => JourneyDefinition, group?: string) => setHistory((h) => record(h, edit(h.present), { group })), []);
  const [name] = useState(initial.name);
  const [status, setStatus] = useState(initial.status);
  const [selection, setSelection] = useState<string[]>([]);
  const [panel, setPanel] = useState<Panel>("edit");
  const selected = selection.length === 1 ? selection[0]! : null;
  const select = useCallback((ids: string[]) => setSelection(ids), []);
  const [serverIssues, setServerIssues] = useState<JourneyIssue[]>(initial.issues);
  const [stale, setStale] = useState<string | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [flow, setFlow] = useState<ReactFlowInstance<CanvasNode, CanvasEdge> | null>(null);
  const [policy, setPolicy] = useState<"finish" | "migrate">("finish");
  const revision = useRef(initial.revision);
  const [savedJson, setSavedJson] = useState(() => JSON.stringify(initial.draft));

  // What is wrong, as the canvas shows it: the structural check here, references from the last save.
  const localIssues = useMemo(() => checkJourney(draft), [draft]);
  const issues = useMemo(() => {
    // Only the server knows the workspace's segments and templates: its reference findings join the local check.
    const refIssues = serverIssues.filter((i) => i.reference && (i.nodeId === null || draft.nodes.some((n) => n.id === i.nodeId)));
    return [...localIssues, ...refIssues.filter((r) => !localIssues.some((l) => l.nodeId === r.nodeId && l.message === r.message))];
  }, [localIssues, serverIssues, draft.nodes]);
  const issuesOf = useCallback((id: string) => issues.filter((i) => i.nodeId === id), [issues]);
  const templateNames = useMemo(() => new Map((templates.data ?? []).map((t) => [t.id, t.name])), [templates.data]);

  // Autosave: a moment after the last change, based on the revision we have.
  const save = useMutation(trpc.journeys.saveDraft.mutationOptions());
  const draftJson = useMemo(() => JSON.stringify(draft), [draft]);
  const pending = useDebounced(draftJson, 800);
  const dirty = draftJson !== savedJson;
  useLeaveGuard(dirty && canEdit && !stale, "Leave this journey? The last changes are not saved yet.");
  useEffect(() => {
    if (!canEdit || stale || pending === savedJson) return;
    save.mutate(
      { id: initial.id, revision: revision.current, name, draft: JSON.parse(pending) as JourneyDefinition },
      {
        onSuccess: (result) => {
          revision.current = result.revision;
          setSavedJson(pending);
          setServerIssues(result.issues);
        },
        onError: (error) => {
          if (/Someone else saved/.test(error.message)) setStale(error.message);
          else toast.error(`Not saved: ${errorMessage(error)}`);
        },
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps -- saves follow the debounced draft only
  }, [pending, canEdit, stale]);

  const publish = useMutation(
    trpc.journeys.publish.mutationOptions({
      onSuccess: async ({ version }) => {
        setPublishing(false);
        setStatus((s) => (s === "paused" ? s : "live"));
        toast.success(`Published version ${version}`);
        await queryClient.invalidateQueries({ queryKey: trpc.journeys.pathKey() });
      },
    }),
  );
  const setJourneyStatus = useMutation(trpc.journeys.setStatus.mutationOptions({ onSuccess: (r) => setStatus(r.status) }));

  const selectedSet = useMemo(() => new Set(selection), [selection]);
  // Each step's measured size, handed back to React Flow (the minimap and fitting need it on controlled nodes).
  const [sizes, setSizes] = useState<Record<string, { width: number; height: number }>>({});
  // The live overlay: people waiting at each wait, and how many went each way (all versions).
  const live = useJourneyStats(initial.id, panel === "live");
  const liveNodes = panel === "live" ? live.data?.nodes : undefined;
  // Reach: how many enter now and how they divide along the connections (a sample, for branches).
  const reach = useJourneyReach(draft, panel === "reach");
  const reachEdges = panel === "reach" ? reach.data?.edges : undefined;
  // Simulation: the path the simulated person took, and where they are.
  const [simPath, setSimPath] = useState<{ visited: string[]; at: string | null } | null>(null);
  const simulated = panel === "simulate" && simPath ? { visited: new Set(simPath.visited), at: simPath.at } : null;
  // Positions of the steps being dragged: kept here while the pointer moves, written into the
  // draft (one undo step) when it lets go — so a drag re-renders the moved steps, not the editor's work.
  const [dragged, setDragged] = useState<Record<string, { x: number; y: number }> | null>(null);
  const draggedRef = useRef<Record<string, { x: number; y: number }> | null>(null);
  const rfNodes: CanvasNode[] = useMemo(() => {
    return draft.nodes.map((n) => {
      const position = dragged?.[n.id] ?? n.position;
      const issues = issuesOf(n.id);
      const summary = nodeSummary(n, templateNames);
      const waiting = liveNodes && n.kind === "wait" ? (liveNodes[n.id]?.waiting ?? 0) : undefined;
      const highlight = simulated ? (simulated.at === n.id ? ("current" as const) : simulated.visited.has(n.id) ? ("visited" as const) : undefined) : undefined;
      const selectedNow = selectedSet.has(n.id);
      const size = sizes[n.id];
      const key = JSON.stringify([position.x, position.y, selectedNow, size?.width, size?.height, summary, waiting, highlight, issues.map((i) => i.message)]);
      const before = canvasNodes.get(n);
      if (before?.key === key) return before.node;
      const node: CanvasNode = { id: n.id, type: "journey", position, selected: selectedNow, deletable: n.kind !== "trigger", measured: size, data: { node: n, issues, summary, waiting, highlight } };
      canvasNodes.set(n, { key, node });
      return node;
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `simulated` is derived from simPath and panel
  }, [draft.nodes, dragged, selectedSet, issuesOf, templateNames, liveNodes, simPath, panel, sizes]);
  const rfEdges: CanvasEdge[] = useMemo(() => {
    const byId = new Map(draft.nodes.map((n) => [n.id, n]));
    return draft.edges.map((e) => {
      // The exit's name sits at its handle on the node; the connection carries the numbers.
      const from = byId.get(e.from);
      const exits = from ? exitsOf(from) : [];
      const exitName = exits.length > 1 ? `${exits.find((x) => x.id === e.exit)?.label}: ` : "";
      const count = liveNodes
        ? { value: liveNodes[e.from]?.exits[e.exit] ?? 0, title: `${exitName}people who went this way (all versions)` }
        : reachEdges
          ? { value: reachEdges[e.id] ?? null, title: reachEdges[e.id] === null ? `${exitName}unknown — it depends on what people do while they wait` : `${exitName}people who would go this way now (estimated)` }
          : undefined;
      const highlighted = simulated ? simulated.visited.has(e.from) && (simulated.visited.has(e.to) || simulated.at === e.to) : false;
      const key = JSON.stringify([e.from, e.exit, e.to, count, highlighted]);
      const before = canvasEdges.get(e);
      if (before?.key === key) return before.edge;
      const edge: CanvasEdge = { id: e.id, source: e.from, sourceHandle: e.exit, target: e.to, type: "journey", data: { count, highlighted } };
      canvasEdges.set(e, { key, edge });
      return edge;
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `simulated` is derived from simPath and panel
  }, [draft.edges, draft.nodes, liveNodes, reachEdges, simPath, panel]);

  const onNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) => {
      const measured = changes.filter((c): c is Extract<NodeChange<CanvasNode>, { type: "dimensions" }> => c.type === "dimensions" && Boolean(c.dimensions));
      if (measured.length) {
        setSizes((current) => {
          const changed = measured.filter((c) => current[c.id]?.width !== c.dimensions!.width || current[c.id]?.height !== c.dimensions!.height);
          return changed.length ? { ...current, ...Object.fromEntries(changed.map((c) => [c.id, c.dimensions!])) } : current;
        });
      }
      const selects = changes.filter((c) => c.type === "select");
      if (selects.length) {
        setSelection((current) => {
          const next = new Set(current);
          for (const c of selects) {
            if (c.selected) next.add(c.id);
            else next.delete(c.id);
          }
          return [...next];
        });
      }
      const removals = changes.filter((c) => c.type === "remove").map((c) => (c as { id: string }).id);
      if (!canEdit) return;
      const positions = changes.filter((c): c is Extract<NodeChange<CanvasNode>, { type: "position" }> => c.type === "position");
      if (positions.length) {
        const moving = { ...(draggedRef.current ?? {}) };
        for (const m of positions) if (m.position) moving[m.id] = { x: Math.round(m.position.x), y: Math.round(m.position.y) };
        if (positions.some((m) => m.dragging)) {
          draggedRef.current = moving;
          setDragged(moving);
        } else {
          // Let go (or moved by keyboard): into the draft, one undo step.
          draggedRef.current = null;
          setDragged(null);
          change((d) => ({ ...d, nodes: d.nodes.map((n) => (moving[n.id] ? { ...n, position: moving[n.id]! } : n)) }));
        }
      }
      if (removals.length) {
        change((d) => removeSteps(d, removals));
        setSelection([]);
      }
    },
    [canEdit, change, setDragged],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      const removed = new Set(changes.filter((c) => c.type === "remove").map((c) => (c as { id: string }).id));
      if (canEdit && removed.size > 0) change((d) => ({ ...d, edges: d.edges.filter((e) => !removed.has(e.id)) }));
    },
    [canEdit, change],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      if (!canEdit || !c.source || !c.target || c.source === c.target) return;
      const exit = c.sourceHandle ?? "next";
      change((d) => ({ ...d, edges: [...d.edges.filter((e) => !(e.from === c.source && e.exit === exit)), { id: uniqueId("e", d.edges.map((e) => e.id)), from: c.source, exit, to: c.target }] }));
    },
    [canEdit, change],
  );

  /**
   * The journey in view: all of it when it fits at a readable size; else as wide as fits at
   * that size, from the trigger down (the rest is a scroll away), never above 100 %.
   */
  const canvasRef = useRef<HTMLDivElement>(null);
  const frame = useCallback(
    (duration = 0) => {
      const box = canvasRef.current?.getBoundingClientRect();
      if (!flow || !box || box.width === 0) return;
      const bounds = flow.getNodesBounds(flow.getNodes());
      if (bounds.width === 0) return;
      const pad = 40;
      const fit = Math.min(1, (box.width - 2 * pad) / bounds.width, (box.height - 2 * pad) / bounds.height);
      const zoom = Math.max(fit, Math.min(READABLE_ZOOM, (box.width - 2 * pad) / bounds.width));
      const x = box.width / 2 - (bounds.x + bounds.width / 2) * zoom;
      const y = fit === zoom ? box.height / 2 - (bounds.y + bounds.height / 2) * zoom : pad - bounds.y * zoom;
      void flow.setViewport({ x, y, zoom }, { duration });
    },
    [flow],
  );
  // Framed once, when every step has been measured.
  const framed = useRef(false);
  useEffect(() => {
    if (framed.current || !flow || draft.nodes.some((n) => !sizes[n.id])) return;
    framed.current = true;
    frame();
  }, [flow, sizes, draft.nodes, frame]);

  /** Brings a step into view (panning, at the same zoom) when it lies outside the canvas. */
  const reveal = useCallback(
    (id: string) => {
      const box = canvasRef.current?.getBoundingClientRect();
      const node = flow?.getInternalNode(id);
      if (!flow || !box || !node) return;
      const { x, y, zoom } = flow.getViewport();
      const w = node.measured.width ?? NODE_SIZE.width;
      const h = node.measured.height ?? NODE_SIZE.height;
      const left = node.internals.positionAbsolute.x * zoom + x;
      const top = node.internals.positionAbsolute.y * zoom + y;
      if (left >= 0 && top >= 0 && left + w * zoom <= box.width && top + h * zoom <= box.height) return;
      void flow.setCenter(node.internals.positionAbsolute.x + w / 2, node.internals.positionAbsolute.y + h / 2, { zoom, duration: 200 });
    },
    [flow],
  );

  /** A new step opens in the inspector, in view. */
  const added = (id: string) => {
    select([id]);
    setPanel("edit");
    setTimeout(() => reveal(id), 120);
  };
  const add = (kind: StepKind) => {
    const result = addStep(draft, kind, { afterId: selected });
    change(() => result.def);
    added(result.id);
  };
  const insert = useCallback(
    (edgeId: string, kind: StepKind) => {
      const result = insertOnEdge(draft, edgeId, kind);
      if (!result) return;
      change(() => result.def);
      select([result.id]);
    },
    [draft, change, select],
  );
  const actions = useMemo(() => ({ insert: canEdit ? insert : undefined }), [canEdit, insert]);
  const onDrop = (e: React.DragEvent) => {
    const kind = e.dataTransfer.getData(STEP_DRAG_TYPE) as StepKind;
    if (!canEdit || !flow || !STEP_KINDS.some((s) => s.kind === kind)) return;
    e.preventDefault();
    const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    const result = addStep(draft, kind, { position: { x: at.x - NODE_SIZE.width / 2, y: at.y - 20 } });
    change(() => result.def);
    added(result.id);
  };
  const tidy = async () => {
    const { layoutJourney } = await import("@/lib/journeys/layout");
    change(layoutJourney);
    setTimeout(() => frame(200), 60);
  };

  // Keyboard: undo/redo anywhere but a dialog; copy, cut and paste of steps when no field has focus.
  useUndoKeys(setHistory);
  const current = useRef({ draft, selection, canEdit });
  useEffect(() => {
    current.current = { draft, selection, canEdit };
  });
  useEffect(() => {
    const onCopy = (e: ClipboardEvent, cut: boolean) => {
      if (typing(e.target) || typing(document.activeElement)) return;
      const { draft: d, selection: ids, canEdit: editable } = current.current;
      const clip = copySteps(d, ids);
      if (!clip) return;
      e.preventDefault();
      const text = JSON.stringify(clip);
      e.clipboardData?.setData("text/plain", text);
      localStorage.setItem(CLIPBOARD_KEY, text);
      toast.success(`Copied ${clip.nodes.length === 1 ? "1 step" : `${clip.nodes.length} steps`}`);
      if (cut && editable) {
        change((x) => removeSteps(x, ids));
        setSelection([]);
      }
    };
    const onPaste = (e: ClipboardEvent) => {
      if (typing(e.target) || typing(document.activeElement) || !current.current.canEdit) return;
      const text = e.clipboardData?.getData("text/plain") || localStorage.getItem(CLIPBOARD_KEY) || "";
      const clip: Clipboard | null = parseClipboard(text);
      if (!clip) return;
      e.preventDefault();
      const result = pasteSteps(current.current.draft, clip);
      change(() => result.def);
      setSelection(result.ids);
    };
    const copy = (e: ClipboardEvent) => onCopy(e, false);
    const cut = (e: ClipboardEvent) => onCopy(e, true);
    document.addEventListener("copy", copy);
    document.addEventListener("cut", cut);
    document.addEventListener("paste", onPaste);
    return () => (document.removeEventListener("copy", copy), document.removeEventListener("cut", cut), document.removeEventListener("paste", onPaste));
  }, [change]);

  const selectedNode = draft.nodes.find((n) => n.id === selected) ?? null;
  const published = initial.liveVersion !== null || (versions.data?.length ?? 0) > 0;
  const panels: { id: Panel; label: string }[] = [{ id: "edit", label: selectedNode ? "Step" : "Journey" }, { id: "reach", label: "Reach" }, { id: "simulate", label: "Simulate" }, ...(published ? [{ id: "live" as const, label: "Live" }, { id: "history" as const, label: "History" }] : [])];

  return (
    <>
      <div className="mb-4 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <Link href="/journeys" className="inline-flex items-center gap-1 text-sm text-slate-500 hover:text-slate-800">
            <ArrowLeft className="size-3.5" aria-hidden="true" /> Journeys
          </Link>
          <h1 className="mt-1 truncate text-2xl font-semibold tracking-tight text-slate-900">{name}</h1>
          <p className="mt-1 flex flex-wrap items-center gap-2 text-sm text-slate-500" data-testid="journey-status">
            <Badge tone={STATUS_TONES[status]}>{status}</Badge>
            {versions.data?.[0] ? `Version ${versions.data[0].version} published ${relativeTime(versions.data[0].publishedAt)}` : "Not published yet"}
            <span aria-live="polite">{save.isPending ? "· Saving…" : dirty ? "· Unsaved changes" : "· All changes saved"}</span>
          </p>
        </div>
        {canEdit && (
          <div className="flex items-center gap-2">
            <Button variant="ghost" size="sm" aria-label="Undo (Ctrl+Z)" title="Undo (Ctrl+Z)" disabled={history.past.length === 0} onClick={() => setHistory(undo)}>
              <Undo2 className="size-4" aria-hidden="true" />
            </Button>
            <Button variant="ghost" size="sm" aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)" disabled={history.future.length === 0} onClick={() => setHistory(redo)}>
              <Redo2 className="size-4" aria-hidden="true" />
            </Button>
            {status === "live" && (
              <Button variant="secondary" loading={setJourneyStatus.isPending} onClick={() => setJourneyStatus.mutate({ id: initial.id, action: "pause" })}>
                Pause
              </Button>
            )}
            {status === "paused" && (
              <Button variant="secondary" loading={setJourneyStatus.isPending} onClick={() => setJourneyStatus.mutate({ id: initial.id, action: "resume" })}>
                Resume
              </Button>
            )}
            <Button onClick={() => setPublishing(true)} disabled={issues.length > 0 || dirty || save.isPending || Boolean(stale)} title={issues.length > 0 ? "Fix the problems listed first" : undefined}>
              Publish
            </Button>
          </div>
        )}
      </div>

      {stale && (
        <p role="alert" className="mb-4 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
          {stale}{" "}
          <button type="button" className="font-medium underline" onClick={() => window.location.reload()}>
            Reload
          </button>
        </p>
      )}

      <div className="grid gap-4 xl:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="min-w-0 space-y-2">
          <nav aria-label="Add a step" className="flex flex-wrap items-center gap-1.5">
            <span className="mr-1 text-xs font-medium tracking-wide text-slate-500 uppercase">Add a step</span>
            {STEP_KINDS.map((p) => {
              const Icon = NODE_ICONS[p.kind];
              return (
                <button
                  key={p.kind}
                  type="button"
                  disabled={!canEdit}
                  draggable={canEdit}
                  title={selected ? "Click: add after the selected step. Or drag onto the canvas." : "Click to add, or drag onto the canvas."}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(STEP_DRAG_TYPE, p.kind);
                    e.dataTransfer.effectAllowed = "copy";
                  }}
                  onClick={() => add(p.kind)}
                  className="inline-flex cursor-grab items-center gap-1.5 rounded-md border border-slate-200 bg-white px-2.5 py-1 text-sm text-slate-700 shadow-xs hover:border-brand-300 hover:bg-brand-50/50 focus:ring-2 focus:ring-brand-500 focus:outline-none disabled:cursor-default disabled:opacity-50"
                >
                  <Icon className="size-3.5 text-brand-600" aria-hidden="true" /> {p.label}
                </button>
              );
            })}
            <details className="relative ml-auto text-xs text-slate-500">
              <summary className="cursor-pointer select-none hover:text-slate-800">Keyboard and mouse</summary>
              <div className="absolute right-0 z-20 mt-1 w-72 rounded-lg border border-slate-200 bg-white p-3 leading-relaxed text-slate-600 shadow-lg">
                Click a step kind to add it after the selected step, or drag it onto the canvas. Connect by dragging from a dot; <kbd>+</kbd> on a connection inserts a step there. Shift-drag or <kbd>Ctrl</kbd>-click selects several. <kbd>Delete</kbd> removes; <kbd>Ctrl</kbd>+<kbd>C</kbd> / <kbd>X</kbd> / <kbd>V</kbd> copy, cut and paste (also into another journey);{" "}
                <kbd>Ctrl</kbd>+<kbd>Z</kbd> undoes, <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Z</kbd> redoes.
              </div>
            </details>
          </nav>

        <div className="h-[max(34rem,calc(100vh-15rem))] overflow-hidden rounded-xl border border-slate-200 bg-slate-50" data-testid="journey-canvas" ref={canvasRef}>
          <CanvasActions.Provider value={actions}>
          <ReactFlow<CanvasNode, CanvasEdge>
            nodes={rfNodes}
            edges={rfEdges}
            nodeTypes={NODE_TYPES}
            edgeTypes={EDGE_TYPES}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onPaneClick={() => setSelection([])}
            onInit={setFlow}
            onDragOver={(e) => {
              if (!canEdit || !e.dataTransfer.types.includes(STEP_DRAG_TYPE)) return;
              e.preventDefault();
              e.dataTransfer.dropEffect = "copy";
            }}
            onDrop={onDrop}
            nodesDraggable={canEdit}
            nodesConnectable={canEdit}
            deleteKeyCode={canEdit ? ["Backspace", "Delete"] : null}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={20} color="#cbd5e1" />
            <Controls showInteractive={false} />
            <MiniMap pannable zoomable ariaLabel="Overview of the journey" nodeColor={minimapColor} style={{ width: 160, height: 110 }} className="hidden lg:block" />
            {canEdit && (
              <Panel position="top-right">
                <Button variant="secondary" size="sm" onClick={() => void tidy()} title="Lay the steps out top to bottom">
                  <LayoutGrid className="size-3.5" aria-hidden="true" /> Tidy up
                </Button>
              </Panel>
            )}
          </ReactFlow>
          </CanvasActions.Provider>
        </div>
        </div>

        {/* Leaving a field ends a burst of typing: the next edit is its own undo step. */}
        <div className="min-w-0 space-y-4" onBlur={() => setHistory(seal)}>
          <div role="tablist" aria-label="Journey panels" className="flex gap-1 rounded-lg bg-slate-100 p-1">
            {panels.map((p) => (
              <button
                key={p.id}
                type="button"
                role="tab"
                id={`tab-${p.id}`}
                aria-selected={panel === p.id}
                aria-controls={`panel-${p.id}`}
                onClick={() => setPanel(p.id)}
                onKeyDown={(e) => {
                  if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
                  const i = panels.findIndex((x) => x.id === panel);
                  const next = panels[(i + (e.key === "ArrowRight" ? 1 : panels.length - 1)) % panels.length]!;
                  setPanel(next.id);
                  document.getElementById(`tab-${next.id}`)?.focus();
                }}
                tabIndex={panel === p.id ? 0 : -1}
                className={cn("flex-1 rounded-md px-2 py-1 text-sm font-medium text-slate-600 hover:text-slate-900", panel === p.id && "bg-white text-slate-900 shadow-sm")}
              >
                {p.label}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${panel}`} aria-labelledby={`tab-${panel}`} className="space-y-4">
            {panel === "edit" && (
              <>
                <Card>
                  <CardHeader title={selectedNode ? `Step: ${selectedNode.kind}` : selection.length > 1 ? `${selection.length} steps selected` : "Journey settings"} description={selectedNode ? undefined : selection.length > 1 ? "Copy, cut or delete them together; drag one to move them all." : "Select a step to change it; these apply to the whole journey."} />
                  <CardBody>
                    {selectedNode ? (
                      <Inspector
                        node={selectedNode}
                        issues={issuesOf(selectedNode.id)}
                        readOnly={!canEdit}
                        onChange={(n) => change((d) => ({ ...d, nodes: d.nodes.map((x) => (x.id === n.id ? n : x)) }), `node:${n.id}`)}
                        onDelete={() => {
                          change((d) => removeSteps(d, [selectedNode.id]));
                          setSelection([]);
                        }}
                      />
                    ) : selection.length > 1 ? (
                      canEdit && (
                        <Button variant="danger" size="sm" onClick={() => (change((d) => removeSteps(d, selection)), setSelection([]))}>
                          Remove {selection.length} steps
                        </Button>
                      )
                    ) : (
                      <JourneySettingsForm settings={draft.settings} issues={issues.filter((i) => i.nodeId === null)} readOnly={!canEdit} onChange={(settings) => change((d) => ({ ...d, settings }), "settings")} />
                    )}
                  </CardBody>
                </Card>
                <Card>
                  <CardHeader title={issues.length ? `${issues.length} to fix before publishing` : "Ready to publish"} />
                  <CardBody>
                    {issues.length === 0 ? (
                      <p className="text-sm text-emerald-700">Every step is connected and set up.</p>
                    ) : (
                      <ul className="space-y-1.5 text-sm" data-testid="journey-issues">
                        {issues.map((i, n) => (
                          <li key={n}>
                            <button type="button" className="flex items-start gap-1.5 text-left text-red-700 hover:underline" onClick={() => i.nodeId && select([i.nodeId])}>
                              <CircleAlert className="mt-0.5 size-3.5 shrink-0" aria-hidden="true" />
                              <span>{i.message}</span>
                            </button>
                          </li>
                        ))}
                      </ul>
                    )}
                  </CardBody>
                </Card>
              </>
            )}
            {panel === "reach" && (
              <Card>
                <CardHeader title="Reach" description="Who would enter now, and how they divide — shown on the connections." />
                <CardBody>
                  <ReachSummary reach={reach} />
                </CardBody>
              </Card>
            )}
            {panel === "simulate" && (
              <Card>
                <CardHeader title="Simulate" description="Walk a person through with simulated time. Nothing is sent, nothing is changed." />
                <CardBody>
                  <SimulationPanel definition={draft} journeyId={initial.id} onPath={setSimPath} />
                </CardBody>
              </Card>
            )}
            {panel === "live" && (
              <Card>
                <CardHeader title="Live" description="All versions together; refreshed every 10 seconds." />
                <CardBody className="space-y-4">
                  <dl className="grid grid-cols-2 gap-3 text-sm" data-testid="live-stats">
                    {[
                      ["Entered", live.data?.entered],
                      ["In it now", live.data?.inNow],
                      ["Converted", live.data?.converted],
                      ["Conversion", live.data ? formatPercent(live.data.converted, live.data.entered) : undefined],
                    ].map(([label, value]) => (
                      <div key={label as string} className="rounded-lg bg-slate-50 px-3 py-2">
                        <dt className="text-xs text-slate-500">{label}</dt>
                        <dd className="text-lg font-semibold text-slate-900 tabular-nums">{value === undefined ? "…" : typeof value === "number" ? formatCount(value) : value}</dd>
                      </div>
                    ))}
                  </dl>
                  {selectedNode ? (
                    <div>
                      <p className="mb-2 text-sm font-medium text-slate-800">Waiting at “{nodeLabel(selectedNode)}” now</p>
                      <PeopleAtNode journeyId={initial.id} nodeId={selectedNode.id} />
                    </div>
                  ) : (
                    <p className="text-sm text-slate-500">Click a step to list the people waiting there now.</p>
                  )}
                  <Link href={`/messages/deliveries?journey=${encodeURIComponent(initial.id)}`} className="inline-flex items-center gap-1.5 text-sm font-medium text-brand-700 hover:underline">
                    <Inbox className="size-4" aria-hidden="true" /> Deliveries of this journey →
                  </Link>
                </CardBody>
              </Card>
            )}
            {panel === "live" && draft.nodes.some((n) => n.kind === "split" && n.arms.some((a) => a.holdout)) && <LiftCard journeyId={initial.id} />}
            {panel === "live" && (
              <Card>
                <CardHeader title="Why not?" description="Why did someone not get a message? Pick anyone — also people who never entered." />
                <CardBody>
                  <WhyNotPanel journeyId={initial.id} definition={draft} templateNames={templateNames} selectedNodeId={selected} />
                </CardBody>
              </Card>
            )}
            {panel === "history" && (
              <Card>
                <CardHeader title="History" description="Who published what, and what changed." />
                {(versions.data?.length ?? 0) === 0 ? (
                  <CardBody>
                    <p className="text-sm text-slate-500">Nothing published yet.</p>
                  </CardBody>
                ) : (
                  <ul className="divide-y divide-slate-100 text-sm" data-testid="journey-history">
                    {versions.data!.map((h) => (
                      <li key={h.version} className="px-5 py-2.5">
                        <p className="flex items-center gap-1.5 font-medium text-slate-900">
                          <History className="size-3.5 text-slate-400" aria-hidden="true" /> v{h.version}
                          <span className="font-normal text-slate-500">
                            {relativeTime(h.publishedAt)}
                            {h.publishedBy ? ` by ${h.publishedBy}` : ""}
                          </span>
                        </p>
                        <ul className="mt-1 list-disc pl-5 text-xs text-slate-600">
                          {h.changes.map((c, n) => (
                            <li key={n}>{c}</li>
                          ))}
                        </ul>
                      </li>
                    ))}
                  </ul>
                )}
              </Card>
            )}
          </div>
        </div>
      </div>

      <ConfirmDialog
        open={publishing}
        title={published ? "Publish a new version?" : "Publish this journey?"}
        confirmLabel="Publish"
        tone="primary"
        pending={publish.isPending}
        onCancel={() => (setPublishing(false), publish.reset())}
        onConfirm={() => publish.mutate({ id: initial.id, revision: revision.current, policy })}
      >
        {published ? (
          <fieldset className="space-y-2">
            <legend className="mb-1">People already inside:</legend>
            <label className="flex items-start gap-2">
              <input type="radio" name="policy" checked={policy === "finish"} onChange={() => setPolicy("finish")} />
              <span>finish on the version they entered (recommended)</span>
            </label>
            <label className="flex items-start gap-2">
              <input type="radio" name="policy" checked={policy === "migrate"} onChange={() => setPolicy("migrate")} />
              <span>move to the new version at their next step, where that step still exists</span>
            </label>
          </fieldset>
        ) : (
          <p>From now on, people who meet the trigger enter it.</p>
        )}
        {publish.isError && <p role="alert" className={cn("mt-3 text-red-600")}>{publish.error.message}</p>}
      </ConfirmDialog>
    </>
  );
}
