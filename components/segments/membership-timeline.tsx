"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { LogIn, LogOut } from "lucide-react";
import Link from "next/link";
import { useEffect, useRef, type RefObject } from "react";
import { formatCount, formatDateTime, relativeTime } from "@/lib/format";
import { causeText, changeVerb } from "@/lib/segments/causes";
import { useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { QueryError } from "../ui/query-error";

const PAGE = 20;

/**
 * The profile's Segments tab, under the current segments: every entry into and exit from a
 * saved segment, newest first, with why and when; "Load more" pages on.
 */
export function MembershipTimeline({ profileId }: { profileId: string }) {
  const trpc = useTRPC();
  const history = useInfiniteQuery({
    ...trpc.segments.profileHistory.infiniteQueryOptions({ profileId, limit: PAGE }, { getNextPageParam: (page) => page.nextCursor }),
    // Entries are decided a moment after events arrive: coming back to the tab shows the latest.
    refetchOnWindowFocus: "always",
  });
  const rows = history.data?.pages.flatMap((p) => p.items) ?? [];
  const list = useRef<HTMLOListElement>(null);

  if (history.isError) {
    return <QueryError error={history.error} what="entries and exits" onRetry={() => void history.refetch()} retrying={history.isRefetching} />;
  }
  return (
    <Card>
      <CardHeader title="History" description="Every time this person entered or left a saved segment, newest first." />
      {history.isPending ? (
        <div className="space-y-3 px-5 py-4" aria-label="Loading the history">
          {Array.from({ length: 3 }, (_, i) => (
            <div key={i} className="h-9 animate-pulse rounded bg-slate-100" />
          ))}
        </div>
      ) : rows.length === 0 ? (
        <p className="px-5 py-6 text-sm text-slate-500" data-testid="segment-history-empty">
          No entries or exits yet.
        </p>
      ) : (
        <>
          <ol ref={list} className="divide-y divide-slate-100" data-testid="segment-history">
            {rows.map((row) => (
              <li key={row.id} data-row tabIndex={-1} className="flex items-start gap-3 px-5 py-3 focus:outline-none focus-visible:bg-brand-50/60">
                <ChangeIcon entered={row.entered} />
                <div className="min-w-0 flex-1">
                  <p className="truncate text-sm text-slate-700">
                    {changeVerb(row.entered)}{" "}
                    <Link href={`/segments/${row.segmentId}`} className="font-semibold text-brand-700 hover:underline">
                      {row.segmentName}
                    </Link>
                  </p>
                  <p className="mt-0.5 text-xs text-slate-500">{causeText(row.cause, { capitalize: true })}</p>
                </div>
                <When at={row.at} className="pt-0.5" />
              </li>
            ))}
          </ol>
          <LoadMore list={list} shown={rows.length} query={history} />
        </>
      )}
    </Card>
  );
}

/** A green "in" arrow for an entry, a grey "out" arrow for an exit (the words say it too). */
export function ChangeIcon({ entered }: { entered: boolean }) {
  const Icon = entered ? LogIn : LogOut;
  return (
    <span
      className={cn("mt-0.5 flex size-7 shrink-0 items-center justify-center rounded-full ring-1 ring-inset", entered ? "bg-emerald-50 text-emerald-600 ring-emerald-200" : "bg-slate-100 text-slate-500 ring-slate-200")}
      aria-hidden="true"
    >
      <Icon className="size-3.5" />
    </span>
  );
}

/** "3 min ago", the exact time in the tooltip (and for screen readers). */
export function When({ at, className }: { at: Date; className?: string }) {
  const exact = formatDateTime(at);
  return (
    <time dateTime={at.toISOString()} title={exact} className={cn("shrink-0 text-xs whitespace-nowrap text-slate-500 tabular-nums", className)}>
      {relativeTime(at)}
      <span className="sr-only"> ({exact})</span>
    </time>
  );
}

/**
 * "Load more" under a paged list; once the next page is in, focus moves to its first row
 * (rows carry `data-row` and `tabIndex={-1}`), so keyboard users carry on where it grew.
 * "That is everything." once there is nothing more.
 */
export function LoadMore({
  list,
  shown,
  query,
}: {
  list: RefObject<HTMLElement | null>;
  shown: number;
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown> };
}) {
  const focusRow = useRef<number | null>(null);
  useEffect(() => {
    const index = focusRow.current;
    if (index === null || shown <= index) return;
    focusRow.current = null;
    list.current?.querySelectorAll<HTMLElement>("[data-row]")[index]?.focus();
  }, [shown, list]);

  return (
    <div className="flex items-center justify-between gap-3 border-t border-slate-100 px-5 py-3 text-xs text-slate-500">
      <span>{formatCount(shown)} shown</span>
      {query.hasNextPage ? (
        <Button
          variant="secondary"
          size="sm"
          loading={query.isFetchingNextPage}
          onClick={() => {
            focusRow.current = shown;
            void query.fetchNextPage();
          }}
        >
          Load more
        </Button>
      ) : (
        <span>That is everything.</span>
      )}
    </div>
  );
}
