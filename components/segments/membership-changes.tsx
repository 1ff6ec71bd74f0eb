"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { ArrowRightLeft } from "lucide-react";
import Link from "next/link";
import { useRef, useState } from "react";
import { personLabel } from "@/lib/profiles/display";
import { causeText, changeVerb } from "@/lib/segments/causes";
import { LIVE, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { QueryError } from "../ui/query-error";
import { LoadMore, When } from "./membership-timeline";

const PAGE = 20;

type Filter = "all" | "entered" | "exited";
const FILTERS: { value: Filter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "entered", label: "Entered" },
  { value: "exited", label: "Left" },
];

/**
 * The saved segment's page: who entered or left it lately, why and when, newest first;
 * All / Entered / Left, "Load more". Refetched like the segment's size (every 15 s while open).
 */
export function MembershipChanges({ segmentId }: { segmentId: string }) {
  const trpc = useTRPC();
  const [filter, setFilter] = useState<Filter>("all");
  const changes = useInfiniteQuery({
    ...trpc.segments.changes.infiniteQueryOptions(
      { id: segmentId, change: filter === "all" ? undefined : filter, limit: PAGE },
      { getNextPageParam: (page) => page.nextCursor },
    ),
    ...LIVE,
    placeholderData: keepPreviousData,
  });
  const rows = changes.data?.pages.flatMap((p) => p.items) ?? [];
  const list = useRef<HTMLTableSectionElement>(null);

  return (
    <Card>
      <CardHeader
        title="Recent entries and exits"
        description="Who joined or left this segment, and why. Newest first."
        actions={<FilterSwitch value={filter} onChange={setFilter} />}
      />
      {changes.isError ? (
        <div className="p-4">
          <QueryError error={changes.error} what="entries and exits" onRetry={() => void changes.refetch()} retrying={changes.isRefetching} />
        </div>
      ) : changes.isPending ? (
        <div className="space-y-3 px-5 py-4" aria-label="Loading entries and exits">
          {Array.from({ length: 4 }, (_, i) => (
            <div key={i} className="h-8 animate-pulse rounded bg-slate-100" />
          ))}
        </div>
      ) : rows.length === 0 ? (
        <NoChanges filter={filter} />
      ) : (
        <>
          <div className="overflow-x-auto">
            <table className={cn("w-full text-left text-sm", changes.isPlaceholderData && "opacity-50")} data-testid="membership-changes">
              <caption className="sr-only">Recent entries into and exits from this segment, newest first</caption>
              <thead className="border-b border-slate-100 text-xs text-slate-500">
                <tr>
                  <th scope="col" className="py-2 pr-3 pl-5 font-medium">Person</th>
                  <th scope="col" className="px-3 py-2 font-medium">Change</th>
                  <th scope="col" className="px-3 py-2 font-medium">Why</th>
                  <th scope="col" className="py-2 pr-5 pl-3 text-right font-medium">When</th>
                </tr>
              </thead>
              <tbody ref={list} className="divide-y divide-slate-100">
                {rows.map((row) => {
                  const label = row.person ? personLabel(row.person) : null;
                  return (
                    <tr key={row.id} data-row tabIndex={-1} className="focus:outline-none focus-visible:bg-brand-50/60">
                      <td className="max-w-64 py-2.5 pr-3 pl-5">
                        {row.person && label ? (
                          <Link href={`/profiles/${row.person.id}`} className="group block min-w-0 rounded-sm">
                            <span className={cn("block truncate font-medium group-hover:underline", label.anonymous ? "text-slate-500 italic" : "text-brand-700")}>{label.primary}</span>
                            {label.secondary && <span className="block truncate text-xs text-slate-500">{label.secondary}</span>}
                          </Link>
                        ) : (
                          <span className="text-slate-400 italic">Deleted person</span>
                        )}
                      </td>
                      <td className="px-3 py-2.5">
                        <Badge tone={row.entered ? "green" : "slate"}>{changeVerb(row.entered)}</Badge>
                      </td>
                      <td className="px-3 py-2.5 text-slate-600">{causeText(row.cause, { capitalize: true })}</td>
                      <td className="py-2.5 pr-5 pl-3 text-right">
                        <When at={row.at} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <LoadMore list={list} shown={rows.length} query={changes} />
        </>
      )}
    </Card>
  );
}

/** Nothing (of this kind) yet: what will show here, and when. */
function NoChanges({ filter }: { filter: Filter }) {
  const title = filter === "entered" ? "Nobody has entered yet" : filter === "exited" ? "Nobody has left yet" : "No entries or exits yet";
  return (
    <div className="flex flex-col items-center px-6 py-10 text-center" data-testid="membership-changes-empty">
      <div className="flex size-10 items-center justify-center rounded-full bg-brand-50 text-brand-600">
        <ArrowRightLeft className="size-5" aria-hidden="true" />
      </div>
      <p className="mt-3 text-sm font-semibold text-slate-900">{title}</p>
      <p className="mt-1 max-w-sm text-sm text-slate-500">
        People enter and leave this segment as their events arrive and as time passes. Each change shows here within moments, with its cause.
      </p>
    </div>
  );
}

/** All / Entered / Left as a radio group: one tab stop, the arrow keys move between them. */
function FilterSwitch({ value, onChange }: { value: Filter; onChange: (value: Filter) => void }) {
  return (
    <div role="radiogroup" aria-label="Show" className="inline-flex rounded-md bg-slate-100 p-0.5">
      {FILTERS.map((f, i) => (
        <button
          key={f.value}
          type="button"
          role="radio"
          aria-checked={value === f.value}
          tabIndex={value === f.value ? 0 : -1}
          className={cn(
            "rounded px-2.5 py-1 text-xs font-semibold focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none",
            value === f.value ? "bg-white text-slate-900 shadow-xs" : "text-slate-500 hover:text-slate-700",
          )}
          onClick={() => onChange(f.value)}
          onKeyDown={(e) => {
            const step = e.key === "ArrowRight" || e.key === "ArrowDown" ? 1 : e.key === "ArrowLeft" || e.key === "ArrowUp" ? -1 : 0;
            if (step === 0) return;
            e.preventDefault();
            const next = FILTERS[(i + step + FILTERS.length) % FILTERS.length]!;
            onChange(next.value);
            const radios = e.currentTarget.parentElement?.querySelectorAll<HTMLButtonElement>("[role=radio]");
            radios?.[FILTERS.indexOf(next)]?.focus();
          }}
        >
          {f.label}
        </button>
      ))}
    </div>
  );
}
