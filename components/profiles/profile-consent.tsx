"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { BellRing } from "lucide-react";
import Link from "next/link";
import { toast } from "sonner";
import { CONSENT_CHANNEL_LABELS, MODE_LABELS, SOURCE_LABELS, type ConsentSource } from "@/lib/consent/schema";
import { formatDateTime, relativeTime } from "@/lib/format";
import { errorMessage, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { QueryError } from "../ui/query-error";

const sourceLabel = (source: string) => SOURCE_LABELS[source as ConsentSource] ?? source;

/**
 * The profile page's Consent tab: the person's state for every subscription group (their
 * own answer, or the group's default), and the history of their answers — source, wording
 * version and time — as one would show a regulator. Members allowed to (`consent.change`)
 * can change a state; that is recorded as an answer from "Changed in Junction".
 */
export function ProfileConsent({ profileId, canChange }: { profileId: string; canChange: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const states = useQuery(trpc.consent.forProfile.queryOptions({ profileId }));
  const history = useInfiniteQuery(trpc.consent.history.infiniteQueryOptions({ profileId, limit: 20 }, { getNextPageParam: (page) => page.nextCursor }));
  const set = useMutation(
    trpc.consent.set.mutationOptions({
      onSuccess: async (result, input) => {
        const group = result.states.find((s) => s.group.id === input.groupId)?.group.name ?? "the group";
        toast.success(result.changed ? `${input.subscribed ? "Subscribed to" : "Unsubscribed from"} “${group}”` : "Nothing changed: that was already their answer.");
        await Promise.all([queryClient.invalidateQueries({ queryKey: trpc.consent.pathKey() }), queryClient.invalidateQueries({ queryKey: trpc.segments.forProfile.queryKey({ profileId }) })]);
      },
      onError: (error) => toast.error(errorMessage(error)),
    }),
  );

  if (states.isError) return <QueryError error={states.error} what="subscriptions" onRetry={() => void states.refetch()} retrying={states.isRefetching} />;
  if (states.isPending) return <div className="h-40 animate-pulse rounded-xl bg-slate-100" />;
  if (states.data.length === 0) {
    return (
      <EmptyState icon={BellRing} title="No subscription groups" description="This workspace has no subscription groups yet, so there is nothing to consent to.">
        <Link href="/settings/subscriptions" className="text-sm font-medium text-brand-600 hover:text-brand-700">
          Settings → Subscriptions →
        </Link>
      </EmptyState>
    );
  }
  const records = history.data?.pages.flatMap((p) => p.records) ?? [];
  return (
    <div className="space-y-6" data-testid="profile-consent">
      <Card>
        <CardHeader title="Subscriptions" description="Their own answer where they gave one; otherwise the group's default (opt-out: in, opt-in: out)." />
        <ul className="divide-y divide-slate-100" aria-label="Subscription groups">
          {states.data.map((s) => (
            <li key={s.group.id} className="flex flex-wrap items-center gap-3 px-5 py-3" data-testid="consent-state" data-group={s.group.name} data-subscribed={s.subscribed}>
              <div className="min-w-0 flex-1">
                <p className="text-sm font-medium text-slate-900">{s.group.name}</p>
                <p className="text-xs text-slate-500">
                  {CONSENT_CHANNEL_LABELS[s.group.channel]} · {MODE_LABELS[s.group.mode]}
                  {s.group.purpose === "transactional" ? " · transactional" : ""}
                </p>
              </div>
              <div className="text-right">
                <Badge tone={s.subscribed ? "green" : "red"}>{s.subscribed ? "Subscribed" : "Not subscribed"}</Badge>
                <p className="mt-0.5 text-xs text-slate-500">
                  {s.explicit && s.updatedAt ? <span title={formatDateTime(s.updatedAt)}>their answer, {relativeTime(s.updatedAt)}</span> : "default: never answered"}
                </p>
              </div>
              {canChange && (
                <Button
                  variant="secondary"
                  size="sm"
                  loading={set.isPending && set.variables?.groupId === s.group.id}
                  onClick={() => set.mutate({ profileId, groupId: s.group.id, subscribed: !s.subscribed })}
                  aria-label={`${s.subscribed ? "Unsubscribe from" : "Subscribe to"} ${s.group.name}`}
                >
                  {s.subscribed ? "Unsubscribe" : "Subscribe"}
                </Button>
              )}
            </li>
          ))}
        </ul>
      </Card>
      <Card>
        <CardHeader title="Consent history" description="Every answer they gave or that was recorded for them, newest first: where, when and the wording they saw." />
        {history.isError ? (
          <p className="px-5 py-4 text-sm text-red-600">{history.error.message}</p>
        ) : history.isPending ? (
          <p className="px-5 py-4 text-sm text-slate-400">Loading…</p>
        ) : records.length === 0 ? (
          <p className="px-5 py-4 text-sm text-slate-500">No answers recorded: every group has its default.</p>
        ) : (
          <ol className="divide-y divide-slate-100 text-sm" data-testid="consent-history">
            {records.map((r) => (
              <li key={r.id} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 px-5 py-2.5" data-testid="consent-record">
                <time className="w-44 shrink-0 text-xs text-slate-500" dateTime={r.at.toISOString()}>
                  {formatDateTime(r.at)}
                </time>
                <span className="min-w-0 flex-1 text-slate-900">
                  {r.subscribed ? "Subscribed to" : "Unsubscribed from"} <span className="font-medium">{r.groupName}</span>
                </span>
                <span className="text-xs text-slate-600">
                  {sourceLabel(r.source)}
                  {r.textVersion ? ` · wording ${r.textVersion}` : ""}
                </span>
              </li>
            ))}
          </ol>
        )}
        {history.hasNextPage && (
          <div className="flex justify-center border-t border-slate-100 px-5 py-3">
            <Button variant="secondary" size="sm" loading={history.isFetchingNextPage} onClick={() => void history.fetchNextPage()}>
              Load older answers
            </Button>
          </div>
        )}
      </Card>
    </div>
  );
}
