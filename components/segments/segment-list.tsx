"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Archive, ArchiveRestore, Blend, Copy, Plus, Search, UsersRound } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { relativeTime } from "@/lib/format";
import { STARTER_SEGMENTS } from "@/lib/segments/starters";
import { useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
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
  const [archived, setArchived] = useState(false);
  const term = useDebounced(search.trim(), 300);
  const list = useInfiniteQuery(
    trpc.segments.list.infiniteQueryOptions({ search: term || undefined, archived, limit: 25 }, { getNextPageParam: (page) => page.nextCursor }),
  );
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const canEdit = can(workspace.data?.role, "segments.save");
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.segments.list.queryKey() });
  const setArchivedMutation = useMutation(trpc.segments.setArchived.mutationOptions({ onSuccess: refresh }));
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
          <input type="checkbox" className="size-4 rounded border-slate-300" checked={archived} onChange={(e) => setArchived(e.target.checked)} /> Show archived
        </label>
      </div>
      {list.isError ? (
        <QueryError error={list.error} what="segments" onRetry={() => void list.refetch()} retrying={list.isRefetching} />
      ) : list.isSuccess && rows.length === 0 ? (
        term || archived ? (
          <EmptyState icon={Search} title={archived ? "No archived segments" : `No segments match “${term}”`} description="Try another name." />
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
                    <Link href={`/segments/${s.id}`} className="block truncate font-medium text-brand-700 hover:underline">
                      {s.name}
                    </Link>
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
                        aria-label={`${archived ? "Restore" : "Archive"} ${s.name}`}
                        onClick={() => setArchivedMutation.mutate({ id: s.id, archived: !archived })}
                      >
                        {archived ? <ArchiveRestore className="size-3.5" aria-hidden="true" /> : <Archive className="size-3.5" aria-hidden="true" />}
                      </Button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <div className="flex items-center justify-between border-t border-slate-100 px-5 py-3 text-sm text-slate-500">
            <span>{rows.length} shown</span>
            {list.hasNextPage && (
              <Button variant="secondary" size="sm" loading={list.isFetchingNextPage} onClick={() => list.fetchNextPage()}>
                Load more
              </Button>
            )}
          </div>
        </Card>
      )}
      {setArchivedMutation.isError && <p role="alert" className="mt-3 text-sm text-red-600">{setArchivedMutation.error.message}</p>}
      {duplicate.isError && <p role="alert" className="mt-3 text-sm text-red-600">{duplicate.error.message}</p>}
    </>
  );
}
