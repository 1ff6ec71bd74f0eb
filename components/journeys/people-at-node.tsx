"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { RefreshCw, UserRound } from "lucide-react";
import Link from "next/link";
import { formatDateTime, relativeTime } from "@/lib/format";
import { personLabel } from "@/lib/profiles/display";
import { useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { QueryError } from "../ui/query-error";

const PAGE = 25;

/**
 * The people waiting at one node of a journey now, newest arrival first, each linking to
 * their profile; "Load more" pages on. For the inspector of a live journey's node.
 */
export function PeopleAtNode({ journeyId, nodeId }: { journeyId: string; nodeId: string }) {
  const trpc = useTRPC();
  const people = useInfiniteQuery({
    ...trpc.journeys.peopleAt.infiniteQueryOptions({ id: journeyId, nodeId, limit: PAGE }, { getNextPageParam: (page) => page.nextCursor }),
    staleTime: 10_000,
    refetchOnWindowFocus: "always",
  });
  const rows = people.data?.pages.flatMap((p) => p.people) ?? [];

  if (people.isError) {
    return <QueryError error={people.error} what="the people waiting here" onRetry={() => void people.refetch()} retrying={people.isRefetching} />;
  }
  return (
    <section aria-label="People waiting here now" data-testid="people-at-node">
      <div className="flex items-center justify-between pb-2">
        <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Waiting here now</h3>
        <Button variant="ghost" size="sm" aria-label="Refresh the people waiting here" loading={people.isRefetching} onClick={() => void people.refetch()}>
          {!people.isRefetching && <RefreshCw className="size-3.5" aria-hidden="true" />}
        </Button>
      </div>
      {people.isPending ? (
        <div className="space-y-2">
          {Array.from({ length: 3 }, (_, i) => (
            <div key={i} className="h-8 animate-pulse rounded bg-slate-100" />
          ))}
        </div>
      ) : rows.length === 0 ? (
        <p className="py-3 text-sm text-slate-500">Nobody is waiting here now.</p>
      ) : (
        <>
          <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200">
            {rows.map((p) => {
              const label = personLabel(p);
              return (
                <li key={p.enrollmentId}>
                  <Link href={`/profiles/${p.profileId}`} className="flex items-start gap-2.5 px-3 py-2 text-sm hover:bg-slate-50">
                    <UserRound className="mt-0.5 size-4 shrink-0 text-slate-400" aria-hidden="true" />
                    <span className="min-w-0 flex-1">
                      <span className={`block truncate font-medium ${label.anonymous ? "text-slate-500 italic" : "text-brand-700"}`}>{label.primary}</span>
                      <span className="block truncate text-xs text-slate-500">
                        {[label.secondary, p.correlationKey ? `key ${p.correlationKey}` : null].filter(Boolean).join(" · ") || "—"}
                      </span>
                      <span className="block text-xs text-slate-500">
                        Here since {relativeTime(p.since)}
                        {p.wakeAt && <> · wait ends by {formatDateTime(p.wakeAt)}</>}
                      </span>
                    </span>
                    {p.holdout && <Badge>Holdout</Badge>}
                  </Link>
                </li>
              );
            })}
          </ul>
          <div className="flex items-center justify-between pt-2 text-xs text-slate-500">
            <span>{rows.length} shown</span>
            {people.hasNextPage && (
              <Button variant="secondary" size="sm" loading={people.isFetchingNextPage} onClick={() => void people.fetchNextPage()}>
                Load more
              </Button>
            )}
          </div>
        </>
      )}
    </section>
  );
}
