"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { ChevronLeft, Redo2, Undo2 } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useMemo, useState } from "react";
import { checkDraft, definitionKey, emptyDraft, finishedPart, isUnfinished, errorsByNode, insertAt, moveWithin, removeAt, updateAt, withIds } from "@/lib/segments/editing";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { STARTER_SEGMENTS } from "@/lib/segments/starters";
import { createHistory, record, redo, seal, undo, type History } from "@/lib/undo";
import { useSegmentChoices } from "../conditions/suggestions";
import { LIVE, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { useDebounced } from "../ui/use-debounced";
import { useUndoKeys } from "../ui/use-undo-keys";
import { useLeaveGuard } from "../ui/use-leave-guard";
import { MembershipChanges } from "./membership-changes";
import { GroupEditor, type EditorContext } from "./node-editor";
import { PreviewPanel, SampleMembers, usePreview } from "./preview-panel";
import { SizeHistory } from "./size-history";
import { TestProfile } from "./test-profile";
import { can } from "@/lib/auth/roles";
import { formatCount, formatCountOf } from "@/lib/format";

interface Draft {
  name: string;
  description: string;
  definition: SegmentDefinition;
}

/** Edits settle this long before a preview is asked for. */
const PREVIEW_DEBOUNCE_MS = 250;

/** The builder for a saved segment (`segmentId`) or a new one (optionally from a starter). */
export function SegmentBuilder({ segmentId, starter }: { segmentId?: string; starter?: string }) {
  const trpc = useTRPC();
  // Its size changes as people come and go: refetched on returning to the tab and every 15 s while it is open.
  const saved = useQuery({
    ...trpc.segments.get.queryOptions({ id: segmentId ?? "" }),
    enabled: segmentId !== undefined,
    ...LIVE,
  });
  const workspace = useQuery(trpc.workspace.current.queryOptions());

  const initial = useMemo<Draft | null>(() => {
    if (segmentId === undefined) {
      const template = STARTER_SEGMENTS.find((s) => s.key === starter);
      return template
        ? { name: template.name, description: template.description, definition: withIds(template.definition) }
        : { name: "", description: "", definition: emptyDraft() };
    }
    if (!saved.data) return null;
    return { name: saved.data.name, description: saved.data.description, definition: withIds(saved.data.definition) };
  }, [segmentId, starter, saved.data]);

  if (segmentId !== undefined && saved.isError) {
    return (
      <div className="rounded-xl border border-slate-200 bg-white p-8 text-center">
        <p className="font-medium text-slate-900">{saved.error.message}</p>
        <Link href="/segments" className="mt-3 inline-block text-sm text-brand-700 hover:underline">
          Back to segments
        </Link>
      </div>
    );
  }
  if (!initial || !workspace.data) {
    return <div className="h-96 animate-pulse rounded-xl bg-slate-100" aria-label="Loading the segment" />;
  }
  const canEdit = can(workspace.data.role, "segments.save");
  const canExport = can(workspace.data.role, "segments.export");
  return <Builder key={segmentId ?? "new"} segmentId={segmentId} initial={initial} canEdit={canEdit} canExport={canExport} size={saved.data?.size} dependents={saved.data?.dependents ?? []} />;
}

function Builder({
  segmentId,
  initial,
  canEdit,
  canExport,
  size,
  dependents,
}: {
  segmentId?: string;
  initial: Draft;
  canEdit: boolean;
  canExport: boolean;
  size?: number;
  dependents: { id: string; name: string }[];
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [history, setHistory] = useState<History<Draft>>(() => createHistory(initial));
  const [baseline, setBaseline] = useState(() => JSON.stringify(initial));
  const [saveError, setSaveError] = useState<string | null>(null);
  const [showErrors, setShowErrors] = useState(false);
  const [previewKey] = useState(() => `builder-${Math.random().toString(36).slice(2, 12)}`);
  const draft = history.present;
  const dirty = JSON.stringify(draft) !== baseline;

  const change = useCallback((next: (d: Draft) => Draft, group?: string) => {
    setSaveError(null);
    setHistory((h) => record(h, next(h.present), { group }));
  }, []);
  const setDefinition = useCallback(
    (fn: (d: SegmentDefinition) => SegmentDefinition, group?: string) => change((d) => ({ ...d, definition: fn(d.definition) }), group),
    [change],
  );

  // Undo/redo from anywhere on the page (the builder's own, also inside text fields).
  useUndoKeys(setHistory);

  // Leaving with unsaved changes (a viewer's edits are previews, nothing to lose).
  useLeaveGuard(dirty && canEdit, "Leave this segment? Your unsaved changes will be lost.");

  const check = useMemo(() => checkDraft(draft.definition), [draft.definition]);
  // While editing, an unfinished condition is not shouted at; once a save was tried, every error shows on its node.
  const visibleErrors = useMemo(
    () => (check.ok ? new Map() : errorsByNode(showErrors ? check.errors : check.errors.filter((e) => !isUnfinished(e)))),
    [check, showErrors],
  );

  // With a condition unfinished, the rest is still counted (and the unfinished one marked as left out).
  const partial = useMemo(() => (check.ok ? null : finishedPart(draft.definition, check.errors)), [check, draft.definition]);
  const countable = check.ok ? { definition: check.definition, kept: null } : partial ? { definition: partial.definition, kept: partial.kept } : null;
  const debounced = useDebounced(countable ? JSON.stringify(countable) : null, PREVIEW_DEBOUNCE_MS);
  const counted = useMemo(() => (debounced ? (JSON.parse(debounced) as { definition: SegmentDefinition; kept: number[] | null }) : null), [debounced]);
  const previewDefinition = counted?.definition ?? null;
  const preview = usePreview(previewDefinition, previewKey);
  const segments = useSegmentChoices();

  const counts = useMemo(() => {
    const e = preview.estimate.data;
    if (!e || preview.estimate.isPlaceholderData || !counted) return undefined;
    // Exact per condition: from the estimate (small workspaces) or, once there, the exact count (big ones).
    const exact = preview.needsExact ? preview.exact.data?.conditions : undefined;
    const shown = e.conditions.map((c, i) => {
      const known = c.exact ?? exact?.[i];
      return known !== undefined ? { text: formatCount(known), title: "People who match this condition alone" } : { text: `≈ ${formatCount(c.estimate)}`, title: "People who match this condition alone (estimated)" };
    });
    if (!counted.kept) return shown;
    // Back onto the draft's rows: the counted definition left the unfinished ones out.
    const rows: ((typeof shown)[number] | undefined)[] = [];
    counted.kept.forEach((row, i) => (rows[row] = shown[i]));
    return rows;
  }, [preview.estimate.data, preview.estimate.isPlaceholderData, preview.needsExact, preview.exact.data, counted]);

  const ctx: EditorContext = {
    update: (path, node, group) => setDefinition((d) => updateAt(d, path, () => node), group),
    insert: (groupPath, node) => setDefinition((d) => insertAt(d, groupPath, node)),
    remove: (path) => setDefinition((d) => removeAt(d, path)),
    move: (path, to) => setDefinition((d) => moveWithin(d, path, to)),
    errors: visibleErrors,
    counts,
    unfinished: partial?.leftOut,
    segments,
    currentSegmentId: segmentId,
  };

  const create = useMutation(trpc.segments.create.mutationOptions());
  const update = useMutation(trpc.segments.update.mutationOptions());
  const saving = create.isPending || update.isPending;
  const save = async (definition: SegmentDefinition) => {
    const input = { name: draft.name, description: draft.description, definition };
    try {
      const result = segmentId ? await update.mutateAsync({ id: segmentId, ...input }) : await create.mutateAsync(input);
      setBaseline(JSON.stringify(draft));
      await queryClient.invalidateQueries({ queryKey: trpc.segments.list.queryKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.segments.get.queryKey({ id: result.id }) });
      if (!segmentId) router.replace(`/segments/${result.id}`);
    } catch (error) {
      const fieldErrors = error instanceof TRPCClientError ? (error.data?.fieldErrors as Record<string, string[]> | null | undefined) : undefined;
      setSaveError(fieldErrors?.name?.[0] ?? (error instanceof Error ? error.message : "Could not save."));
    }
  };

  const trySave = () => {
    setShowErrors(true);
    if (!draft.name.trim()) return setSaveError("Give the segment a name.");
    if (!check.ok) {
      setSaveError(`Fix the ${check.errors.length === 1 ? "marked condition" : `${check.errors.length} marked problems`} first.`);
      requestAnimationFrame(() => document.querySelector<HTMLElement>("[aria-invalid=true]")?.focus());
      return;
    }
    void save(check.definition);
  };

  return (
    // Leaving a field ends a burst of typing: the next edit is its own undo step.
    <div className="flex flex-col gap-5" onBlur={() => setHistory(seal)} data-draft-key={check.ok ? definitionKey(check.definition) : undefined}>
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0 flex-1">
          <Link href="/segments" className="inline-flex items-center gap-1 text-sm text-slate-500 hover:text-slate-700">
            <ChevronLeft className="size-4" aria-hidden="true" /> Segments
          </Link>
          {/* The page's heading for screen readers; the name is edited in place below. */}
          <h1 className="sr-only">{segmentId ? draft.name || "Unnamed segment" : "New segment"}</h1>
          <input
            aria-label="Segment name"
            placeholder="Name this segment"
            title={draft.name}
            className="mt-1 block w-full max-w-xl truncate rounded-md border-0 bg-transparent px-1 py-0.5 text-2xl font-semibold tracking-tight text-slate-900 placeholder:text-slate-400 hover:bg-white focus:bg-white focus:ring-2 focus:ring-brand-500 focus:outline-none"
            value={draft.name}
            onChange={(e) => change((d) => ({ ...d, name: e.target.value }), "name")}
          />
          <input
            aria-label="Description"
            placeholder="Add a description"
            className="mt-0.5 block w-full max-w-xl rounded-md border-0 bg-transparent px-1 py-0.5 text-sm text-slate-600 placeholder:text-slate-400 hover:bg-white focus:bg-white focus:ring-2 focus:ring-brand-500 focus:outline-none"
            value={draft.description}
            onChange={(e) => change((d) => ({ ...d, description: e.target.value }), "description")}
          />
        </div>
        <div className="flex items-center gap-2 pt-6">
          {dirty ? (
            <span className="mr-1 inline-flex items-center gap-1.5 text-sm text-amber-700" data-testid="dirty">
              <span className="size-2 rounded-full bg-amber-500" aria-hidden="true" /> Unsaved changes
            </span>
          ) : segmentId ? (
            <span className="mr-1 text-sm text-slate-500">{size !== undefined ? `${formatCountOf(size, "member")} · saved` : "Saved"}</span>
          ) : null}
          <Button variant="ghost" size="sm" aria-label="Undo (Ctrl+Z)" title="Undo (Ctrl+Z)" disabled={history.past.length === 0} onClick={() => setHistory(undo)}>
            <Undo2 className="size-4" aria-hidden="true" />
          </Button>
          <Button variant="ghost" size="sm" aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)" disabled={history.future.length === 0} onClick={() => setHistory(redo)}>
            <Redo2 className="size-4" aria-hidden="true" />
          </Button>
          {canEdit ? (
            <Button onClick={trySave} loading={saving} disabled={!dirty && segmentId !== undefined}>
              {segmentId ? "Save changes" : "Save segment"}
            </Button>
          ) : (
            <span className="rounded-md bg-slate-100 px-3 py-1.5 text-sm text-slate-600" data-testid="read-only">
              View only: viewers can preview, not save
            </span>
          )}
        </div>
      </div>
      {saveError && (
        <p role="alert" className="rounded-lg border border-red-200 bg-red-50 px-4 py-2.5 text-sm text-red-700">
          {saveError}
        </p>
      )}
      <div className="grid items-start gap-5 lg:grid-cols-[minmax(0,1fr)_20rem]">
        <div className="flex min-w-0 flex-col gap-5">
          <Card className="p-5">
            <GroupEditor group={draft.definition.root} path={[]} ctx={ctx} />
          </Card>
          {segmentId && <MembershipChanges segmentId={segmentId} />}
        </div>
        <div className="flex flex-col gap-4 lg:sticky lg:top-6">
          <PreviewPanel
            definition={previewDefinition}
            preview={preview}
            invalid={!countable}
            leftOut={check.ok ? 0 : errorsByNode(check.errors).size}
            exportAs={canExport && check.ok ? draft.name : undefined}
          />
          <SampleMembers definition={previewDefinition} after={!preview.estimate.isFetching} />
          <TestProfile definition={previewDefinition} segmentName={(id) => segments.find((s) => s.id === id)?.name ?? id} />
          {segmentId && <SizeHistory segmentId={segmentId} />}
          {dependents.length > 0 && (
            <Card className="px-5 py-3 text-sm text-slate-600">
              Used by{" "}
              {dependents.map((d, i) => (
                <span key={d.id}>
                  {i > 0 && ", "}
                  <Link href={`/segments/${d.id}`} className="text-brand-700 hover:underline">
                    {d.name}
                  </Link>
                </span>
              ))}
            </Card>
          )}
        </div>
      </div>
    </div>
  );
}
