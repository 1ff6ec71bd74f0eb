"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Archive, ArchiveRestore, Blend, Copy, Plus, Search, UsersRound } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";
import { relativeTime } from "@/lib/format";
import { STARTER_SEGMENTS } from "@/lib/segments/starters";
import { LIVE, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { QueryError } from "../ui/query-error";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { Input } from "../ui/field";
import { PageHeader } from "../ui/page-header";
import { useDebounced } from "../ui/use-debounced";
import { can } from "@/lib/auth/roles";
import { formatCount } from "@/lib/format";


/** A 30-day size trend as a small line (no axes): the list's at-a-glance history. */
function Sparkline({ points, label }: { points: number[]; label: string }) {
  if (points.length < 2) return <span className="text-xs text-slate-400">—</span>;
  const w = 96;
  const h = 24;
  const min = Math.min(...points);
  const max = Math.max(...points);
  const y = (v: number) => (max === min ? h / 2 : h - 2 - ((v - min) / (max - min)) * (h - 4));
  const d = points.map((v, i) => `${i === 0 ? "M" : "L"}${((i / (points.length - 1)) * w).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  return (
    <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label} className="overflow-visible">
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.5" className="text-brand-500" strokeLinejoin="round" />
    </svg>
  );
}

export function SegmentList() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [includeArchived, setIncludeArchived] = useState(false);
  const [archiving, setArchiving] = useState<{ id: string; name: string; usedBy: { id: string; name: string }[] } | null>(null);
  const term = useDebounced(search.trim(), 300);
  const list = useInfiniteQuery(
    trpc.segments.list.infiniteQueryOptions({ search: term || undefined, includeArchived, limit: 25 }, { getNextPageParam: (page) => page.nextCursor, ...LIVE }),
  );
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const canEdit = can(workspace.data?.role, "segments.save");
  // Every list of segments (this page's, the pickers'), whatever its input or kind of query.
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.segments.list.pathKey() });
  const setArchivedMutation = useMutation(
    trpc.segments.setArchived.mutationOptions({
      onSuccess: async (segment, input) => {
        setArchiving(null);
        await refresh();
        if (input.archived) {
          toast.success(`Archived “${segment.name}”`, {
            description: "It no longer updates. Find it again with “Include archived”.",
            action: { label: "Undo", onClick: () => setArchivedMutation.mutate({ id: segment.id, archived: false }) },
          });
        } else {
          toast.success(`Restored “${segment.name}”`);
        }
      },
    }),
  );
  const duplicate = useMutation(trpc.segments.create.mutationOptions());
  const get = (id: string) => queryClient.fetchQuery(trpc.segments.get.queryOptions({ id }));

  return (
    <>
      <PageHeader
        title="Segments"
        description="Groups of people defined by who they are and what they do, kept current as events arrive."
        actions={
          <>
            <Link href="/segments/overlap" className="inline-flex h-9 items-center gap-2 rounded-md bg-white px-3.5 text-sm font-medium text-slate-800 shadow-sm ring-1 ring-slate-300 ring-inset hover:bg-slate-50">
              <Blend className="size-4" aria-hidden="true" /> Compare overlap
            </Link>
            {canEdit && (
              <Link href="/segments/new" className="inline-flex h-9 items-center gap-2 rounded-md bg-brand-600 px-3.5 text-sm font-medium text-white shadow-sm hover:bg-brand-700">
                <Plus className="size-4" aria-hidden="true" /> New segment
              </Link>
            )}
          </>
        }
      />
      <div className="mb-4 flex flex-wrap items-center gap-3">
        <div className="relative w-full max-w-sm">
          <Search className="pointer-events-none absolute top-2.5 left-3 size-4 text-slate-400" aria-hidden="true" />
          <Input type="search" aria-label="Search segments" placeholder="Search by name" className="pl-9" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <label className="inline-flex items-center gap-2 text-sm text-slate-600">
          <input type="checkbox" className="size-4 rounded border-slate-300" checked={includeArchived} onChange={(e) => setIncludeArchived(e.target.checked)} /> Include archived
        </label>
      </div>
      {list.isError ? (
        <QueryError error={list.error} what="segments" onRetry={() => void list.refetch()} retrying={list.isRefetching} />
      ) : list.isSuccess && rows.length === 0 ? (
        term ? (
          <EmptyState icon={Search} title={`No segments match “${term}”`} description="Try another name." />
        ) : (
          <EmptyState
            icon={UsersRound}
            title="No segments yet"
            description="Segments combine who people are with what they do. Start from one of these, or from scratch."
          >
            <ul className="grid max-w-3xl gap-3 text-left sm:grid-cols-3">
              {STARTER_SEGMENTS.map((s) => (
                <li key={s.key}>
                  <Link
                    href={`/segments/new?starter=${s.key}`}
                    className="block h-full rounded-lg border border-slate-200 bg-white p-4 shadow-xs hover:border-brand-300 hover:bg-brand-50/40"
                  >
                    <span className="block text-sm font-semibold text-slate-900">{s.name}</span>
                    <span className="mt-1 block text-sm text-slate-500">{s.description}</span>
                  </Link>
                </li>
              ))}
            </ul>
          </EmptyState>
        )
      ) : (
        <Card>
          <table className="w-full text-left text-sm" data-testid="segments-table">
            <thead className="border-b border-slate-100 text-xs text-slate-500">
              <tr>
                <th scope="col" className="px-5 py-2.5 font-medium">Segment</th>
                <th scope="col" className="px-5 py-2.5 text-right font-medium">Members</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Last 30 days</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Last change</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Used by</th>
                {canEdit && <th scope="col" className="px-5 py-2.5"><span className="sr-only">Actions</span></th>}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {list.isPending &&
                Array.from({ length: 4 }, (_, i) => (
                  <tr key={i}>
                    <td colSpan={6} className="px-5 py-3">
                      <div className="h-5 animate-pulse rounded bg-slate-100" />
                    </td>
                  </tr>
                ))}
              {rows.map((s) => (
                <tr key={s.id} className="hover:bg-slate-50">
                  <td className="max-w-80 px-5 py-2.5">
                    <span className="flex min-w-0 items-center gap-2">
                      <Link href={`/segments/${s.id}`} className={`truncate font-medium hover:underline ${s.archivedAt ? "text-slate-500" : "text-brand-700"}`} title={s.name}>
                        {s.name}
                      </Link>
                      {s.archivedAt && <Badge>Archived</Badge>}
                    </span>
                    {s.description && <p className="truncate text-xs text-slate-500">{s.description}</p>}
                  </td>
                  <td className="px-5 py-2.5 text-right font-medium text-slate-900 tabular-nums">{s.refreshedAt ? formatCount(s.size) : <span className="text-slate-400">counting…</span>}</td>
                  <td className="px-5 py-2.5">
                    <Sparkline points={s.history.map((h) => h.size)} label={`Size of ${s.name} over the last 30 days`} />
                  </td>
                  <td className="px-5 py-2.5 whitespace-nowrap text-slate-500">
                    {relativeTime(s.updatedAt)}
                    {s.updatedBy?.email && <span className="block text-xs">by {s.updatedBy.email}</span>}
                  </td>
                  <td className="max-w-48 truncate px-5 py-2.5 text-slate-500">
                    {s.usedBy.length === 0 ? "—" : s.usedBy.map((u) => u.name).join(", ")}
                  </td>
                  {canEdit && (
                    <td className="px-5 py-2.5 text-right whitespace-nowrap">
                      <Button
                        variant="ghost"
                        size="sm"
                        aria-label={`Duplicate ${s.name}`}
                        loading={duplicate.isPending && duplicate.variables?.name === `${s.name} (copy)`}
                        onClick={async () => {
                          const full = await get(s.id);
                          const created = await duplicate.mutateAsync({ name: `${s.name} (copy)`, description: full.description, definition: full.definition });
                          await refresh();
                          router.push(`/segments/${created.id}`);
                        }}
                      >
                        <Copy className="size-3.5" aria-hidden="true" />
                      </Button>
                      <Button
                        variant="ghost"
                        size="sm"
                        aria-label={`${s.archivedAt ? "Restore" : "Archive"} ${s.name}`}
                        title={s.archivedAt ? "Restore" : "Archive"}
                        loading={setArchivedMutation.isPending && setArchivedMutation.variables?.id === s.id && !!s.archivedAt}
                        onClick={() =>
                          s.archivedAt ? setArchivedMutation.mutate({ id: s.id, archived: false }) : setArchiving({ id: s.id, name: s.name, usedBy: s.usedBy })
                        }
                      >
                        {s.archivedAt ? <ArchiveRestore className="size-3.5" aria-hidden="true" /> : <Archive className="size-3.5" aria-hidden="true" />}
                      </Button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <div className="flex items-center justify-between border-t border-slate-100 px-5 py-3 text-sm text-slate-500">
            <span>{list.isPending ? "Loading…" : `${formatCount(rows.length)} shown`}</span>
            {list.hasNextPage && (
              <Button variant="secondary" size="sm" loading={list.isFetchingNextPage} onClick={() => list.fetchNextPage()}>
                Load more
              </Button>
            )}
          </div>
        </Card>
      )}
      <ConfirmDialog
        open={archiving !== null}
        title={archiving ? `Archive “${archiving.name}”?` : ""}
        confirmLabel="Archive"
        tone="primary"
        pending={setArchivedMutation.isPending}
        confirmDisabled={(archiving?.usedBy.length ?? 0) > 0}
        onCancel={() => {
          setArchiving(null);
          setArchivedMutation.reset();
        }}
        onConfirm={() => archiving && setArchivedMutation.mutate({ id: archiving.id, archived: true })}
      >
        {archiving && archiving.usedBy.length > 0 ? (
          <div data-testid="archive-blocked">
            <p>Other segments are built on it, and would keep counting a membership that no longer updates:</p>
            <ul className="mt-2 list-disc pl-5">
              {archiving.usedBy.map((u) => (
                <li key={u.id}>
                  <Link href={`/segments/${u.id}`} className="font-medium text-brand-700 hover:underline">{u.name}</Link>
                </li>
              ))}
            </ul>
            <p className="mt-2">Change those first, then archive it.</p>
          </div>
        ) : (
          <p>It stops updating and leaves the list. Its members and history are kept; you can restore it any time from “Include archived”.</p>
        )}
        {setArchivedMutation.isError && <p role="alert" className="mt-3 text-red-600">{setArchivedMutation.error.message}</p>}
      </ConfirmDialog>
      {duplicate.isError && <p role="alert" className="mt-3 text-sm text-red-600">{duplicate.error.message}</p>}
    </>
  );
}
