"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus, Route, Search } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { can } from "@/lib/auth/roles";
import { formatDuration, relativeTime } from "@/lib/format";
import type { Trigger } from "@/lib/journeys/schema";
import { fieldErrors, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { EmptyState } from "../ui/empty-state";
import { Field, Input } from "../ui/field";
import { PageHeader } from "../ui/page-header";
import { QueryError } from "../ui/query-error";
import { useDebounced } from "../ui/use-debounced";

export const STATUS_TONES = { draft: "slate", live: "green", paused: "amber", archived: "slate" } as const;

/** "When feature_used happens (3× in 1 day)", for lists and the canvas. */
export function triggerSummary(trigger: Trigger | null): string {
  if (!trigger) return "—";
  switch (trigger.type) {
    case "event":
      return trigger.event ? `When ${trigger.event} happens${trigger.count ? ` (${trigger.count.atLeast}× in ${formatDuration(trigger.count.within)})` : ""}` : "An event (not chosen yet)";
    case "segment_entered":
      return "On entering a segment";
    case "segment_exited":
      return "On leaving a segment";
    case "schedule":
      return trigger.schedule?.kind === "recurring" ? "On a schedule" : "Once, at a set time";
    case "api":
      return "Through the enroll API";
  }
}

export function JourneyList() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [includeArchived, setIncludeArchived] = useState(false);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const term = useDebounced(search.trim(), 300);
  const list = useQuery(trpc.journeys.list.queryOptions({ search: term || undefined, includeArchived }));
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const canEdit = can(workspace.data?.role, "journeys.publish");
  const create = useMutation(
    trpc.journeys.create.mutationOptions({
      onSuccess: async ({ id }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.journeys.list.pathKey() });
        router.push(`/journeys/${id}`);
      },
    }),
  );
  const rows = list.data ?? [];

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
          <input type="checkbox" className="size-4 rounded border-slate-300" checked={includeArchived} onChange={(e) => setIncludeArchived(e.target.checked)} /> Include archived
        </label>
      </div>
      {list.isError ? (
        <QueryError error={list.error} what="journeys" onRetry={() => void list.refetch()} retrying={list.isRefetching} />
      ) : list.isSuccess && rows.length === 0 ? (
        <EmptyState
          icon={Route}
          title={term ? `No journeys match “${term}”` : "No journeys yet"}
          description="A journey starts at a moment that matters — the tariff calculator opened three times, a cart left behind — waits, branches and sends the right message once."
        >
          {canEdit && !term && <Button onClick={() => setCreating(true)}>Start a journey</Button>}
        </EmptyState>
      ) : (
        <Card>
          <table className="w-full text-left text-sm" data-testid="journeys-table">
            <thead className="border-b border-slate-100 text-xs text-slate-500">
              <tr>
                <th scope="col" className="px-5 py-2.5 font-medium">Journey</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Status</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Trigger</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Phase</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Last change</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {list.isPending &&
                Array.from({ length: 3 }, (_, i) => (
                  <tr key={i}>
                    <td colSpan={5} className="px-5 py-3">
                      <div className="h-5 animate-pulse rounded bg-slate-100" />
                    </td>
                  </tr>
                ))}
              {rows.map((j) => (
                <tr key={j.id} className="hover:bg-slate-50">
                  <td className="max-w-80 px-5 py-2.5">
                    <Link href={`/journeys/${j.id}`} className="block truncate font-medium text-brand-700 hover:underline">
                      {j.name}
                    </Link>
                  </td>
                  <td className="px-5 py-2.5 whitespace-nowrap">
                    <Badge tone={STATUS_TONES[j.status]}>{j.status}</Badge>
                    {j.liveVersion && <span className="ml-2 text-xs text-slate-500">v{j.liveVersion}</span>}
                  </td>
                  <td className="max-w-72 truncate px-5 py-2.5 text-slate-600">{triggerSummary(j.trigger)}</td>
                  <td className="px-5 py-2.5 text-slate-600 capitalize">{j.phase ?? "—"}</td>
                  <td className="px-5 py-2.5 whitespace-nowrap text-slate-500">{relativeTime(j.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
      <ConfirmDialog
        open={creating}
        title="New journey"
        confirmLabel="Create"
        tone="primary"
        pending={create.isPending}
        onCancel={() => (setCreating(false), create.reset())}
        onConfirm={() => create.mutate({ name })}
      >
        <Field label="Name" error={fieldErrors(create.error).name ?? (create.isError && !fieldErrors(create.error).name ? create.error.message : null)}>
          {(p) => <Input {...p} autoFocus value={name} placeholder="Tariff calculator nudge" onChange={(e) => setName(e.target.value)} />}
        </Field>
      </ConfirmDialog>
    </>
  );
}
