"use client";

import Link from "next/link";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { ChevronRight, ScrollText } from "lucide-react";
import { Fragment, useState } from "react";
import { formatDateTime, formatValue, humanizeAction } from "@/lib/format";
import { useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { QueryError } from "../ui/query-error";
import { Card } from "../ui/card";
import { cn } from "../ui/cn";
import { EmptyState } from "../ui/empty-state";
import { Field, Input, Select } from "../ui/field";

const PAGE_SIZE = 25;

function dayStart(value: string): Date | undefined {
  return value ? new Date(`${value}T00:00:00`) : undefined;
}

function dayEnd(value: string): Date | undefined {
  if (!value) return undefined;
  const d = new Date(`${value}T00:00:00`);
  d.setDate(d.getDate() + 1);
  return d;
}

export function AuditLog() {
  const trpc = useTRPC();
  const [action, setAction] = useState("");
  const [actorId, setActorId] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const facets = useQuery(trpc.audit.facets.queryOptions());
  const filters = {
    action: action || undefined,
    actorId: actorId || undefined,
    from: dayStart(from),
    to: dayEnd(to),
    limit: PAGE_SIZE,
  };
  const entries = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(filters, { getNextPageParam: (page) => page.nextCursor }),
  );
  const rows = entries.data?.pages.flatMap((page) => page.entries) ?? [];
  const filtered = Boolean(action || actorId || from || to);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end gap-3" role="search" aria-label="Filter the audit log">
        <Field label="Action" className="w-56">
          {(p) => (
            <Select {...p} value={action} onChange={(e) => setAction(e.target.value)}>
              <option value="">All actions</option>
              {facets.data?.actions.map((a) => (
                <option key={a} value={a}>{humanizeAction(a)}</option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Who" className="w-56">
          {(p) => (
            <Select {...p} value={actorId} onChange={(e) => setActorId(e.target.value)}>
              <option value="">Everyone</option>
              {facets.data?.actors.map((a) => (
                <option key={a.id} value={a.id}>{a.label}</option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="From" className="w-40">
          {(p) => <Input {...p} type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />}
        </Field>
        <Field label="To" className="w-40">
          {(p) => <Input {...p} type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} />}
        </Field>
        {filtered && (
          <Button
            variant="ghost"
            onClick={() => {
              setAction("");
              setActorId("");
              setFrom("");
              setTo("");
            }}
          >
            Clear filters
          </Button>
        )}
      </div>

      {entries.isError ? (
        <QueryError error={entries.error} what="audit entries" onRetry={() => void entries.refetch()} retrying={entries.isRefetching} />
      ) : entries.isSuccess && rows.length === 0 ? (
        <EmptyState
          icon={ScrollText}
          title={filtered ? "No entries match these filters" : "No audit entries yet"}
          description={filtered ? "Try a wider date range or another action." : "Every change to settings, members and keys is recorded here."}
        />
      ) : (
        <Card>
          <table className="w-full text-left text-sm" data-testid="audit-table">
            <thead className="border-b border-slate-100 text-xs text-slate-500">
              <tr>
                <th scope="col" className="w-8 px-3 py-2.5"><span className="sr-only">Details</span></th>
                <th scope="col" className="px-3 py-2.5 font-medium">When</th>
                <th scope="col" className="px-3 py-2.5 font-medium">Who</th>
                <th scope="col" className="px-3 py-2.5 font-medium">Action</th>
                <th scope="col" className="px-3 py-2.5 font-medium">Target</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {entries.isPending && (
                <tr>
                  <td colSpan={5} className="px-5 py-4 text-slate-400">Loading…</td>
                </tr>
              )}
              {rows.map((entry) => {
                const expanded = open === entry.id;
                const hasDiff = entry.diff !== null && typeof entry.diff === "object" && Object.keys(entry.diff).length > 0;
                return (
                  <Fragment key={entry.id}>
                    <tr className={cn(hasDiff && "cursor-pointer hover:bg-slate-50")} onClick={() => hasDiff && setOpen(expanded ? null : entry.id)}>
                      <td className="px-3 py-2.5">
                        {hasDiff && (
                          <button
                            type="button"
                            aria-expanded={expanded}
                            aria-label={expanded ? "Hide changes" : "Show changes"}
                            className="rounded p-0.5 text-slate-400 hover:text-slate-700"
                            onClick={(e) => {
                              e.stopPropagation();
                              setOpen(expanded ? null : entry.id);
                            }}
                          >
                            <ChevronRight className={cn("size-4 transition-transform", expanded && "rotate-90")} aria-hidden="true" />
                          </button>
                        )}
                      </td>
                      <td className="px-3 py-2.5 whitespace-nowrap text-slate-500">{formatDateTime(entry.createdAt)}</td>
                      <td className="max-w-56 truncate px-3 py-2.5 text-slate-800">{entry.actorLabel}</td>
                      <td className="px-3 py-2.5 font-medium text-slate-900">{humanizeAction(entry.action)}</td>
                      <td className="max-w-72 truncate px-3 py-2.5 text-slate-600" title={entry.target.label}>
                        {entry.target.href ? (
                          <Link href={entry.target.href} className="font-medium text-brand-700 hover:underline">
                            {entry.target.label}
                          </Link>
                        ) : (
                          entry.target.label
                        )}
                      </td>
                    </tr>
                    {expanded && hasDiff && (
                      <tr className="bg-slate-50">
                        <td />
                        <td colSpan={4} className="px-3 pb-3">
                          <DiffTable diff={entry.diff as Record<string, { from?: unknown; to?: unknown }>} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
          <div className="flex items-center justify-between border-t border-slate-100 px-5 py-3 text-sm text-slate-500">
            <span>
              {rows.length} {rows.length === 1 ? "entry" : "entries"} shown
            </span>
            {entries.hasNextPage && (
              <Button variant="secondary" size="sm" loading={entries.isFetchingNextPage} onClick={() => entries.fetchNextPage()}>
                Load more
              </Button>
            )}
          </div>
        </Card>
      )}
    </div>
  );
}

function DiffTable({ diff }: { diff: Record<string, { from?: unknown; to?: unknown }> }) {
  return (
    <table className="mt-1 w-full rounded-md border border-slate-200 bg-white text-xs">
      <thead className="text-slate-500">
        <tr>
          <th scope="col" className="px-3 py-1.5 text-left font-medium">Field</th>
          <th scope="col" className="px-3 py-1.5 text-left font-medium">Before</th>
          <th scope="col" className="px-3 py-1.5 text-left font-medium">After</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100 font-mono">
        {Object.entries(diff).map(([field, change]) => (
          <tr key={field}>
            <td className="px-3 py-1.5 text-slate-700">{field}</td>
            <td className="px-3 py-1.5 text-red-700">{formatValue(change.from)}</td>
            <td className="px-3 py-1.5 text-emerald-700">{formatValue(change.to)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
