"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Archive, Copy, Plus, Route, Search } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";
import { can } from "@/lib/auth/roles";
import { formatCount, formatPercent, relativeTime } from "@/lib/format";
import { triggerSummary } from "@/lib/journeys/describe";
import { useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { EmptyState } from "../ui/empty-state";
import { Input } from "../ui/field";
import { PageHeader } from "../ui/page-header";
import { QueryError } from "../ui/query-error";
import { useDebounced } from "../ui/use-debounced";
import { useJourneyListStats } from "./use-journey-stats";
import { TemplatePicker } from "./template-picker";

export const STATUS_TONES = { draft: "slate", live: "green", paused: "amber", archived: "slate" } as const;


/** A journey's numbers in the list: people in it now, entered in the last 7 days, conversion to its goal. */
export interface JourneyRowStats {
  inNow: number;
  entered7d: number;
  /** Converted / entered; null while nobody entered. */
  conversionRate: number | null;
}

const COLUMNS = 9;

function StatCells({ stats }: { stats: JourneyRowStats | undefined }) {
  const none = <span className="text-slate-400">—</span>;
  return (
    <>
      <td className="px-2 py-2.5 text-right text-slate-700 tabular-nums">{stats ? formatCount(stats.inNow) : none}</td>
      <td className="px-2 py-2.5 text-right text-slate-700 tabular-nums">{stats ? formatCount(stats.entered7d) : none}</td>
      <td className="px-2 py-2.5 text-right text-slate-700 tabular-nums">
        {stats && stats.conversionRate !== null ? formatPercent(stats.conversionRate, 1) : none}
      </td>
    </>
  );
}

type Archiving = { id: string; name: string; status: string };

export function JourneyList() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [includeArchived, setIncludeArchived] = useState(false);
  const [creating, setCreating] = useState(false);
  const [archiving, setArchiving] = useState<Archiving | null>(null);
  const [exitEveryone, setExitEveryone] = useState(false);
  const term = useDebounced(search.trim(), 300);
  const list = useQuery(trpc.journeys.list.queryOptions({ search: term || undefined, includeArchived }));
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const canEdit = can(workspace.data?.role, "journeys.publish");
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.journeys.list.pathKey() });
  const rows = list.data ?? [];
  // The stats columns' numbers by journey id (refreshed every 10 s): "—" while they load.
  const listStats = useJourneyListStats(rows.map((r) => r.id));
  const stats: Record<string, JourneyRowStats> = listStats.data ?? {};

  const duplicate = useMutation(
    trpc.journeys.duplicate.mutationOptions({
      onSuccess: async ({ id, name }) => {
        await refresh();
        toast.success(`Created “${name}”`, { description: "A draft with the same steps and settings.", action: { label: "Open", onClick: () => router.push(`/journeys/${id}`) } });
      },
      onError: (error) => toast.error(error.message),
    }),
  );
  const archive = useMutation(
    trpc.journeys.setStatus.mutationOptions({
      onSuccess: async () => {
        const name = archiving?.name ?? "the journey";
        setArchiving(null);
        await refresh();
        toast.success(`Archived “${name}”`, { description: "Find it with “Show archived”; duplicate it to use it again." });
      },
    }),
  );
  const startArchiving = (j: Archiving) => {
    archive.reset();
    setExitEveryone(false);
    setArchiving(j);
  };
  // People can be inside only once it was published.
  const mayHavePeople = archiving !== null && archiving.status !== "draft";

  return (
    <>
      <PageHeader
        title="Journeys"
        description="Short, triggered journeys that send the right message at the right moment."
        actions={
          canEdit && (
            <Button onClick={() => setCreating(true)}>
              <Plus className="size-4" aria-hidden="true" /> New journey
            </Button>
          )
        }
      />
      <div className="mb-4 flex flex-wrap items-center gap-3">
        <div className="relative w-full max-w-sm">
          <Search className="pointer-events-none absolute top-2.5 left-3 size-4 text-slate-400" aria-hidden="true" />
          <Input type="search" aria-label="Search journeys" placeholder="Search by name" className="pl-9" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <label className="inline-flex items-center gap-2 text-sm text-slate-600">
          <input type="checkbox" className="size-4 rounded border-slate-300" checked={includeArchived} onChange={(e) => setIncludeArchived(e.target.checked)} /> Show archived
        </label>
      </div>
      {list.isError ? (
        <QueryError error={list.error} what="journeys" onRetry={() => void list.refetch()} retrying={list.isRefetching} />
      ) : list.isSuccess && rows.length === 0 ? (
        term ? (
          <EmptyState icon={Search} title={`No journeys match “${term}”`} description={includeArchived ? "Try another name." : "Try another name, or show archived journeys too."} />
        ) : (
          <EmptyState
            icon={Route}
            title="No journeys yet"
            description="A journey starts at a moment that matters — the tariff calculator opened three times, a cart left behind — waits, branches and sends the right message once. Start blank or from a template."
          >
            {canEdit && <Button onClick={() => setCreating(true)}>Start a journey</Button>}
          </EmptyState>
        )
      ) : (
        <Card className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="journeys-table">
            <thead className="border-b border-slate-100 text-xs text-slate-500">
              <tr>
                <th scope="col" className="py-2.5 pr-3 pl-4 font-medium">Journey</th>
                <th scope="col" className="px-3 py-2.5 font-medium">Status</th>
                <th scope="col" className="px-3 py-2.5 font-medium">Trigger</th>
                <th scope="col" className="px-3 py-2.5 font-medium">Phase</th>
                <th scope="col" className="w-16 px-2 py-2 text-right leading-tight font-medium">In it now</th>
                <th scope="col" className="w-16 px-2 py-2 text-right leading-tight font-medium">Entered, 7 days</th>
                <th scope="col" className="w-20 px-2 py-2 text-right leading-tight font-medium">Conversion</th>
                <th scope="col" className="px-3 py-2.5 font-medium whitespace-nowrap">Last change</th>
                <th scope="col" className="px-3 py-2.5">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {list.isPending &&
                Array.from({ length: 3 }, (_, i) => (
                  <tr key={i}>
                    <td colSpan={COLUMNS} className="px-3 py-3">
                      <div className="h-5 animate-pulse rounded bg-slate-100" />
                    </td>
                  </tr>
                ))}
              {rows.map((j) => (
                <tr key={j.id} className="hover:bg-slate-50" data-testid={`journey-row-${j.id}`}>
                  <td className="max-w-48 py-2.5 pr-3 pl-4 2xl:max-w-64">
                    <Link href={`/journeys/${j.id}`} className={`block truncate font-medium hover:underline ${j.status === "archived" ? "text-slate-500" : "text-brand-700"}`} title={j.name}>
                      {j.name}
                    </Link>
                  </td>
                  <td className="px-3 py-2.5 whitespace-nowrap">
                    <Badge tone={STATUS_TONES[j.status]}>{j.status}</Badge>
                    {j.liveVersion && <span className="ml-2 text-xs text-slate-500">v{j.liveVersion}</span>}
                  </td>
                  <td className="max-w-40 truncate px-3 py-2.5 text-slate-600 2xl:max-w-56" title={triggerSummary(j.trigger)}>
                    {triggerSummary(j.trigger)}
                  </td>
                  <td className="px-3 py-2.5 text-slate-600 capitalize">{j.phase ?? "—"}</td>
                  <StatCells stats={stats[j.id]} />
                  <td className="px-3 py-2.5 whitespace-nowrap text-slate-500">
                    {relativeTime(j.updatedAt)}
                    {j.updatedBy && <span className="block max-w-28 truncate text-xs 2xl:max-w-36" title={j.updatedBy}>by {j.updatedBy}</span>}
                  </td>
                  <td className="py-2.5 pr-3 pl-1 text-right whitespace-nowrap">
                    {canEdit && (
                      <>
                        <Button
                          variant="ghost"
                          size="sm"
                          aria-label={`Duplicate ${j.name}`}
                          title="Duplicate"
                          loading={duplicate.isPending && duplicate.variables?.id === j.id}
                          onClick={() => duplicate.mutate({ id: j.id })}
                        >
                          <Copy className="size-3.5" aria-hidden="true" />
                        </Button>
                        {j.status !== "archived" && (
                          <Button variant="ghost" size="sm" aria-label={`Archive ${j.name}`} title="Archive" onClick={() => startArchiving({ id: j.id, name: j.name, status: j.status })}>
                            <Archive className="size-3.5" aria-hidden="true" />
                          </Button>
                        )}
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.isSuccess && (
            <div className="border-t border-slate-100 px-4 py-3 text-sm text-slate-500">
              {rows.length === 500 ? "The 500 most recently changed are shown: search to find others." : `${formatCount(rows.length)} shown`}
            </div>
          )}
        </Card>
      )}
      <TemplatePicker open={creating} onClose={() => setCreating(false)} />
      <ConfirmDialog
        open={archiving !== null}
        title={archiving ? `Archive “${archiving.name}”?` : ""}
        confirmLabel={mayHavePeople && exitEveryone ? "Archive and exit everyone" : "Archive"}
        tone={mayHavePeople && exitEveryone ? "danger" : "primary"}
        pending={archive.isPending}
        onCancel={() => {
          setArchiving(null);
          archive.reset();
        }}
        onConfirm={() => archiving && archive.mutate({ id: archiving.id, action: "archive", exitEveryone: mayHavePeople && exitEveryone })}
      >
        <p>Nobody new enters it, and it can no longer be edited or published. Its history is kept; duplicate it to use it again.</p>
        {mayHavePeople && (
          <fieldset className="mt-3 space-y-2">
            <legend className="mb-1 font-medium text-slate-800">People already in it</legend>
            <label className="flex items-start gap-2">
              <input type="radio" name="archive-people" className="mt-0.5 size-4" checked={!exitEveryone} onChange={() => setExitEveryone(false)} />
              <span>
                <span className="font-medium text-slate-800">Let them finish</span>
                <span className="block text-slate-500">They go through the remaining steps, then leave.</span>
              </span>
            </label>
            <label className="flex items-start gap-2">
              <input type="radio" name="archive-people" className="mt-0.5 size-4" checked={exitEveryone} onChange={() => setExitEveryone(true)} />
              <span>
                <span className="font-medium text-slate-800">Exit everyone now</span>
                <span className="block text-slate-500">They leave at once; nothing more is sent.</span>
              </span>
            </label>
          </fieldset>
        )}
        {archive.isError && (
          <p role="alert" className="mt-3 text-red-600">
            {archive.error.message}
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}
