"use client";

import "@xyflow/react/dist/style.css";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Background, Controls, ReactFlow, type Connection, type Edge, type EdgeChange, type NodeChange, type ReactFlowInstance } from "@xyflow/react";
import { ArrowLeft, CircleAlert, History } from "lucide-react";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { toast } from "sonner";
import { can } from "@/lib/auth/roles";
import { checkJourney, type JourneyIssue } from "@/lib/journeys/graph";
import { exitsOf, type JourneyDefinition, type JourneyNode } from "@/lib/journeys/schema";
import { relativeTime } from "@/lib/format";
import { errorMessage, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { QueryError } from "../ui/query-error";
import { useDebounced } from "../ui/use-debounced";
import { cn } from "../ui/cn";
import { uniqueId } from "./ids";
import { Inspector } from "./inspector";
import { JourneySettingsForm } from "./journey-settings";
import { JourneyNodeView, NODE_ICONS, nodeSummary, type CanvasNode } from "./journey-node";
import { STATUS_TONES } from "./journey-list";

const NODE_TYPES = { journey: JourneyNodeView };

const PALETTE: { kind: Exclude<JourneyNode["kind"], "trigger">; label: string }[] = [
  { kind: "wait", label: "Wait" },
  { kind: "branch", label: "Branch" },
  { kind: "split", label: "Split" },
  { kind: "send", label: "Send" },
  { kind: "update", label: "Update trait" },
  { kind: "webhook", label: "Webhook" },
  { kind: "exit", label: "Exit" },
];

function newNode(kind: Exclude<JourneyNode["kind"], "trigger">, id: string, position: { x: number; y: number }): JourneyNode {
  switch (kind) {
    case "wait":
      return { id, kind, position, wait: { type: "duration", duration: { amount: 1, unit: "days" } } };
    case "branch":
      return { id, kind, position, cases: [{ id: "case1", name: "Case 1" }] };
    case "split":
      return { id, kind, position, arms: [{ id: "a", name: "A", percent: 50, holdout: false }, { id: "b", name: "B", percent: 50, holdout: false }] };
    case "send":
      return { id, kind, position, onFailure: "continue" };
    case "update":
      return { id, kind, position, op: "set" };
    case "webhook":
      return { id, kind, position };
    case "exit":
      return { id, kind, position };
  }
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
  const history = useQuery(trpc.journeys.history.queryOptions({ id: initial.id }));
  const canEdit = can(workspace.data?.role, "journeys.publish") && initial.status !== "archived";

  const [draft, setDraft] = useState<JourneyDefinition>(initial.draft);
  const [name] = useState(initial.name);
  const [status, setStatus] = useState(initial.status);
  const [selected, setSelected] = useState<string | null>(null);
  const [serverIssues, setServerIssues] = useState<JourneyIssue[]>(initial.issues);
  const [stale, setStale] = useState<string | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [flow, setFlow] = useState<ReactFlowInstance<CanvasNode, Edge> | null>(null);
  const [policy, setPolicy] = useState<"finish" | "migrate">("finish");
  const revision = useRef(initial.revision);
  const [savedJson, setSavedJson] = useState(() => JSON.stringify(initial.draft));

  // What is wrong, as the canvas shows it: the structural check here, references from the last save.
  const localIssues = useMemo(() => checkJourney(draft), [draft]);
  const issues = useMemo(() => {
    const refIssues = serverIssues.filter((i) => /no longer exists|archived/.test(i.message));
    return [...localIssues, ...refIssues.filter((r) => !localIssues.some((l) => l.nodeId === r.nodeId && l.message === r.message))];
  }, [localIssues, serverIssues]);
  const issuesOf = useCallback((id: string) => issues.filter((i) => i.nodeId === id), [issues]);
  const templateNames = useMemo(() => new Map((templates.data ?? []).map((t) => [t.id, t.name])), [templates.data]);

  // Autosave: a moment after the last change, based on the revision we have.
  const save = useMutation(trpc.journeys.saveDraft.mutationOptions());
  const pending = useDebounced(JSON.stringify(draft), 800);
  const dirty = JSON.stringify(draft) !== savedJson;
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

  const rfNodes: CanvasNode[] = useMemo(
    () => draft.nodes.map((n) => ({ id: n.id, type: "journey", position: n.position, selected: n.id === selected, data: { node: n, issues: issuesOf(n.id), summary: nodeSummary(n, templateNames) } })),
    [draft.nodes, selected, issuesOf, templateNames],
  );
  const rfEdges: Edge[] = useMemo(
    () =>
      draft.edges.map((e) => {
        const from = draft.nodes.find((n) => n.id === e.from);
        const exits = from ? exitsOf(from) : [];
        const label = exits.length > 1 ? exits.find((x) => x.id === e.exit)?.label : undefined;
        return { id: e.id, source: e.from, sourceHandle: e.exit, target: e.to, label, type: "smoothstep" };
      }),
    [draft.edges, draft.nodes],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) => {
      for (const c of changes) if (c.type === "select" && c.selected) setSelected(c.id);
      const moves = changes.filter((c): c is Extract<NodeChange<CanvasNode>, { type: "position" }> => c.type === "position" && Boolean(c.position));
      const removals = new Set(changes.filter((c) => c.type === "remove").map((c) => (c as { id: string }).id));
      if (!canEdit || (moves.length === 0 && removals.size === 0)) return;
      setDraft((d) => {
        const trigger = d.nodes.find((n) => n.kind === "trigger")?.id;
        removals.delete(trigger ?? "");
        return {
          ...d,
          nodes: d.nodes.filter((n) => !removals.has(n.id)).map((n) => {
            const move = moves.find((m) => m.id === n.id);
            return move?.position ? { ...n, position: { x: Math.round(move.position.x), y: Math.round(move.position.y) } } : n;
          }),
          edges: d.edges.filter((e) => !removals.has(e.from) && !removals.has(e.to)),
        };
      });
    },
    [canEdit],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      const removed = new Set(changes.filter((c) => c.type === "remove").map((c) => (c as { id: string }).id));
      if (canEdit && removed.size > 0) setDraft((d) => ({ ...d, edges: d.edges.filter((e) => !removed.has(e.id)) }));
    },
    [canEdit],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      if (!canEdit || !c.source || !c.target || c.source === c.target) return;
      const exit = c.sourceHandle ?? "next";
      setDraft((d) => ({ ...d, edges: [...d.edges.filter((e) => !(e.from === c.source && e.exit === exit)), { id: uniqueId("e", d.edges.map((e) => e.id)), from: c.source, exit, to: c.target }] }));
    },
    [canEdit],
  );

  const add = (kind: Exclude<JourneyNode["kind"], "trigger">) => {
    const lowest = draft.nodes.reduce((y, n) => Math.max(y, n.position.y), 0);
    const id = uniqueId(kind, draft.nodes.map((n) => n.id));
    const from = selected ? draft.nodes.find((n) => n.id === selected) : undefined;
    const position = from ? { x: from.position.x, y: from.position.y + 140 } : { x: 0, y: lowest + 140 };
    setDraft((d) => {
      // Added after the selected step: its first free exit leads to the new one.
      const free = from ? exitsOf(from).find((x) => !d.edges.some((e) => e.from === from.id && e.exit === x.id)) : undefined;
      return { ...d, nodes: [...d.nodes, newNode(kind, id, position)], edges: from && free ? [...d.edges, { id: uniqueId("e", d.edges.map((e) => e.id)), from: from.id, exit: free.id, to: id }] : d.edges };
    });
    setSelected(id);
    // Keep the whole journey in view as it grows.
    setTimeout(() => void flow?.fitView({ padding: 0.3, maxZoom: 1, duration: 200 }), 120);
  };

  const selectedNode = draft.nodes.find((n) => n.id === selected) ?? null;
  const published = initial.liveVersion !== null || (history.data?.length ?? 0) > 0;

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
            {history.data?.[0] ? `Version ${history.data[0].version} published ${relativeTime(history.data[0].publishedAt)}` : "Not published yet"}
            <span aria-live="polite">{save.isPending ? "· Saving…" : dirty ? "· Unsaved changes" : "· All changes saved"}</span>
          </p>
        </div>
        {canEdit && (
          <div className="flex items-center gap-2">
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

      <div className="grid gap-4 xl:grid-cols-[10rem_minmax(0,1fr)_22rem]">
        <nav aria-label="Add a step" className="space-y-1.5">
          <p className="text-xs font-medium tracking-wide text-slate-500 uppercase">Add a step</p>
          {PALETTE.map((p) => {
            const Icon = NODE_ICONS[p.kind];
            return (
              <button
                key={p.kind}
                type="button"
                disabled={!canEdit}
                onClick={() => add(p.kind)}
                className="flex w-full items-center gap-2 rounded-md border border-slate-200 bg-white px-2.5 py-1.5 text-left text-sm text-slate-700 hover:border-brand-300 hover:bg-brand-50/50 focus:ring-2 focus:ring-brand-500 focus:outline-none disabled:opacity-50"
              >
                <Icon className="size-4 text-brand-600" aria-hidden="true" /> {p.label}
              </button>
            );
          })}
          <p className="pt-2 text-xs text-slate-500">Added after the selected step. Drag from a dot at a step’s bottom to connect; select and press Delete to remove.</p>
        </nav>

        <div className="h-[max(36rem,calc(100vh-13rem))] overflow-hidden rounded-xl border border-slate-200 bg-slate-50" data-testid="journey-canvas">
          <ReactFlow<CanvasNode, Edge>
            nodes={rfNodes}
            edges={rfEdges}
            nodeTypes={NODE_TYPES}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onPaneClick={() => setSelected(null)}
            onInit={setFlow}
            nodesDraggable={canEdit}
            nodesConnectable={canEdit}
            deleteKeyCode={canEdit ? ["Backspace", "Delete"] : null}
            fitView
            fitViewOptions={{ padding: 0.3, maxZoom: 1 }}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={20} color="#cbd5e1" />
            <Controls showInteractive={false} />
          </ReactFlow>
        </div>

        <div className="space-y-4">
          <Card>
            <CardHeader title={selectedNode ? `Step: ${selectedNode.kind}` : "Journey settings"} description={selectedNode ? undefined : "Select a step to change it; these apply to the whole journey."} />
            <CardBody>
              {selectedNode ? (
                <Inspector
                  node={selectedNode}
                  issues={issuesOf(selectedNode.id)}
                  readOnly={!canEdit}
                  onChange={(n) => setDraft((d) => ({ ...d, nodes: d.nodes.map((x) => (x.id === n.id ? n : x)) }))}
                  onDelete={() => {
                    setDraft((d) => ({ ...d, nodes: d.nodes.filter((x) => x.id !== selectedNode.id), edges: d.edges.filter((e) => e.from !== selectedNode.id && e.to !== selectedNode.id) }));
                    setSelected(null);
                  }}
                />
              ) : (
                <JourneySettingsForm settings={draft.settings} issues={issues.filter((i) => i.nodeId === null)} readOnly={!canEdit} onChange={(settings) => setDraft((d) => ({ ...d, settings }))} />
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
                      <button type="button" className="flex items-start gap-1.5 text-left text-red-700 hover:underline" onClick={() => i.nodeId && setSelected(i.nodeId)}>
                        <CircleAlert className="mt-0.5 size-3.5 shrink-0" aria-hidden="true" />
                        <span>{i.message}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </CardBody>
          </Card>
          {(history.data?.length ?? 0) > 0 && (
            <Card>
              <CardHeader title="History" />
              <ul className="divide-y divide-slate-100 text-sm">
                {history.data!.map((h) => (
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
            </Card>
          )}
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
