"use client";

import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { AlertTriangle, CheckCircle2, ChevronLeft, UserRound } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { formatCount, formatPercent, relativeTime } from "@/lib/format";
import { useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { cn } from "../ui/cn";
import { PageHeader } from "../ui/page-header";
import { personLabel } from "@/lib/profiles/display";

const MAX_PICKED = 8;

/** Pick 2–8 saved segments: pairwise overlaps (count and %), who is in none, and the people in any cell. */
export function OverlapView() {
  const trpc = useTRPC();
  const list = useQuery(trpc.segments.list.queryOptions({ limit: 100, stats: false }));
  const [picked, setPicked] = useState<string[]>([]);
  const [cell, setCell] = useState<{ a: string; b: string } | null>(null);
  const overlap = useQuery({ ...trpc.segments.overlap.queryOptions({ ids: picked }), enabled: picked.length >= 2, placeholderData: keepPreviousData });
  const data = picked.length >= 2 ? overlap.data : undefined;
  const overlapping = data ? data.pairs.flatMap((row, i) => row.map((n, j) => ({ i, j, n }))).filter(({ i, j, n }) => i < j && n > 0) : [];

  const toggle = (id: string) => {
    setCell(null);
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : p.length >= MAX_PICKED ? p : [...p, id]));
  };

  return (
    <>
      <Link href="/segments" className="inline-flex items-center gap-1 text-sm text-slate-500 hover:text-slate-700">
        <ChevronLeft className="size-4" aria-hidden="true" /> Segments
      </Link>
      <PageHeader title="Overlap" description="Do your segments exclude each other? Pick two to eight to see who is in several, and who is in none." />
      <div className="grid items-start gap-5 lg:grid-cols-[16rem_minmax(0,1fr)]">
        <Card className="min-w-0 p-4">
          <fieldset className="min-w-0">
            <legend className="text-sm font-semibold text-slate-900">Segments ({picked.length}/{MAX_PICKED})</legend>
            {list.data?.items.length === 0 && <p className="mt-2 text-sm text-slate-500">No saved segments yet.</p>}
            <ul className="mt-2 space-y-1">
              {list.data?.items.map((s) => (
                <li key={s.id}>
                  <label className="flex items-center gap-2 rounded-md px-1.5 py-1 text-sm text-slate-700 hover:bg-slate-50">
                    <input
                      type="checkbox"
                      className="size-4 rounded border-slate-300"
                      checked={picked.includes(s.id)}
                      disabled={!picked.includes(s.id) && picked.length >= MAX_PICKED}
                      onChange={() => toggle(s.id)}
                    />
                    <span className="min-w-0 flex-1 truncate" title={s.name}>{s.name}</span>
                    <span className="shrink-0 text-xs text-slate-500 tabular-nums" title={`${formatCount(s.size)} members`}>{formatCount(s.size)}</span>
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
        </Card>
        <div className="flex min-w-0 flex-col gap-4">
          {picked.length < 2 ? (
            <Card className="px-5 py-10 text-center text-sm text-slate-500">Pick at least two segments.</Card>
          ) : !data ? (
            <div className="h-48 animate-pulse rounded-xl bg-slate-100" />
          ) : (
            <>
              {overlapping.length > 0 ? (
                <p role="status" className="flex items-start gap-2 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900" data-testid="overlap-warning">
                  <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
                  <span>
                    <span className="font-semibold">Not mutually exclusive.</span>{" "}
                    {overlapping
                      .slice(0, 3)
                      .map(({ i, j, n }) => `${formatCount(n)} people are in both “${data.segments[i]!.name}” and “${data.segments[j]!.name}”`)
                      .join("; ")}
                    {overlapping.length > 3 ? `; and ${overlapping.length - 3} more pairs overlap` : ""}. People in several segments can get several journeys&apos; messages.
                  </span>
                </p>
              ) : (
                <p role="status" className="flex items-center gap-2 rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900">
                  <CheckCircle2 className="size-4" aria-hidden="true" /> Mutually exclusive: nobody is in two of these segments.
                </p>
              )}
              <Card className="overflow-x-auto">
                <table className="w-full text-sm" data-testid="overlap-matrix">
                  <caption className="sr-only">People in both segments: row and column</caption>
                  <thead>
                    <tr className="border-b border-slate-100 text-xs text-slate-500">
                      <th scope="col" className="px-4 py-2.5 text-left font-medium">
                        <span className="sr-only">Segment</span>
                      </th>
                      {data.segments.map((s) => (
                        <th key={s.id} scope="col" className="max-w-36 truncate px-4 py-2.5 text-right font-medium" title={s.name}>
                          {s.name}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {data.segments.map((row, i) => (
                      <tr key={row.id}>
                        <th scope="row" className="max-w-48 truncate px-4 py-2.5 text-left font-medium text-slate-800" title={row.name}>
                          {row.name}
                        </th>
                        {data.segments.map((col, j) => {
                          const n = data.pairs[i]![j]!;
                          const diagonal = i === j;
                          const active = cell && ((cell.a === row.id && cell.b === col.id) || (cell.a === col.id && cell.b === row.id));
                          return (
                            <td key={col.id} className="p-1 text-right">
                              <button
                                type="button"
                                data-testid={`overlap-${i}-${j}`}
                                disabled={n === 0}
                                aria-label={diagonal ? `${row.name}: ${formatCount(n)} members` : `In ${row.name} and ${col.name}: ${formatCount(n)} people, ${formatPercent(n, row.size)} of ${row.name}`}
                                onClick={() => setCell({ a: row.id, b: col.id })}
                                className={cn(
                                  "w-full rounded-md px-3 py-1.5 text-right tabular-nums disabled:cursor-default",
                                  diagonal ? "bg-slate-100 font-semibold text-slate-800" : n > 0 ? "bg-amber-50 text-amber-900 hover:bg-amber-100" : "text-slate-400",
                                  active && "ring-2 ring-brand-500",
                                )}
                              >
                                <span className="block">{formatCount(n)}</span>
                                {!diagonal && n > 0 && <span className="block text-[11px] opacity-70">{formatPercent(n, row.size)}</span>}
                              </button>
                            </td>
                          );
                        })}
                      </tr>
                    ))}
                  </tbody>
                </table>
                <p className="border-t border-slate-100 px-4 py-2.5 text-sm text-slate-600" data-testid="overlap-none">
                  In none of them: <span className="font-semibold text-slate-900">{formatCount(data.none)}</span> of {formatCount(data.total)} profiles ({formatPercent(data.none, data.total)}). Percentages are of the row&apos;s segment.
                  {" "}Membership as of{" "}
                  {data.segments.every((s) => s.refreshedAt) ? relativeTime(new Date(Math.min(...data.segments.map((s) => new Date(s.refreshedAt!).getTime())))) : "the next refresh"}.
                </p>
              </Card>
              {cell && <CellMembers a={cell.a} b={cell.b} names={data.segments} />}
            </>
          )}
        </div>
      </div>
    </>
  );
}

function CellMembers({ a, b, names }: { a: string; b: string; names: { id: string; name: string }[] }) {
  const trpc = useTRPC();
  const members = useInfiniteQuery(trpc.segments.overlapMembers.infiniteQueryOptions({ a, b, limit: 20 }, { getNextPageParam: (p) => p.nextCursor }));
  const rows = members.data?.pages.flatMap((p) => p.items) ?? [];
  const name = (id: string) => names.find((n) => n.id === id)?.name ?? id;
  return (
    <Card>
      <h2 className="border-b border-slate-100 px-5 py-3 text-sm font-semibold text-slate-900">
        {a === b ? `Members of “${name(a)}”` : `In both “${name(a)}” and “${name(b)}”`}
      </h2>
      <ul className="divide-y divide-slate-100" data-testid="overlap-members">
        {rows.map((m) => (
          <li key={m.id}>
            <Link href={`/profiles/${m.id}`} className="flex items-center gap-2.5 px-5 py-2 text-sm hover:bg-slate-50">
              <UserRound className="size-4 text-slate-400" aria-hidden="true" />
              <span className="min-w-0 truncate font-medium text-brand-700">{personLabel(m).primary}</span>
              <span className="min-w-0 truncate text-slate-500">{personLabel(m).secondary ?? ""}</span>
            </Link>
          </li>
        ))}
      </ul>
      {members.hasNextPage && (
        <div className="border-t border-slate-100 px-5 py-3">
          <Button variant="secondary" size="sm" loading={members.isFetchingNextPage} onClick={() => members.fetchNextPage()}>
            Load more
          </Button>
        </div>
      )}
    </Card>
  );
}
