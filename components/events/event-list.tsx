"use client";

import { useQuery } from "@tanstack/react-query";
import { Activity, CalendarX2, KeyRound, Search } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { relativeTime } from "@/lib/format";
import { useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { QueryError } from "../ui/query-error";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { Input } from "../ui/field";
import { PageHeader } from "../ui/page-header";
import { formatCount, sinceText } from "@/lib/format";
import { Stat, StatGrid } from "./stat";
import { can } from "@/lib/auth/roles";

const EXAMPLES = ["page_view, product_viewed, add_to_cart", "checkout_started, purchase", "feature_used, onboarding_step", "email_opened, push_opened"];

export function eventHref(name: string): string {
  return `/events?event=${encodeURIComponent(name)}`;
}

/** Badges for page and screen names; plain track events need none. */
export function TypeBadges({ types }: { types: string[] }) {
  const shown = types.filter((t) => t !== "track");
  if (shown.length === 0) return null;
  return (
    <>
      {shown.map((t) => (
        <Badge key={t} tone="slate">{t}</Badge>
      ))}
    </>
  );
}

export function EventList() {
  const trpc = useTRPC();
  const names = useQuery(trpc.events.names.queryOptions({ days: 30 }));
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const [filter, setFilter] = useState("");
  const events = names.data?.events ?? [];
  const term = filter.trim().toLowerCase();
  const shown = term ? events.filter((e) => e.name.toLowerCase().includes(term)) : events;
  const maxRecent = Math.max(1, ...events.map((e) => e.recentCount));
  const recentTotal = events.reduce((sum, e) => sum + e.recentCount, 0);
  const lastSeen = events.reduce<Date | null>((latest, e) => (!latest || e.lastSeenAt > latest ? e.lastSeenAt : latest), null);
  const canManageKeys = can(workspace.data?.role, "keys.manage");

  const header = <PageHeader title="Events" description="The events your apps send: how often they arrive and what their properties look like." />;

  if (names.isError) {
    return (
      <>
        {header}
        <QueryError error={names.error} what="events" onRetry={() => void names.refetch()} retrying={names.isRefetching} />
      </>
    );
  }

  if (names.isSuccess && events.length === 0) {
    return (
      <>
        {header}
        <EmptyState
          icon={Activity}
          title="No events received yet"
          description={
            <>
              Send track, page and screen calls with a write key from <strong className="font-medium text-slate-700">Settings → API keys</strong>, using any
              Segment-compatible client pointed at Junction. They become the building blocks of segments and triggers.
            </>
          }
        >
          <div className="flex flex-col items-center gap-5">
            <ul className="grid max-w-2xl gap-2 text-left sm:grid-cols-2">
              {EXAMPLES.map((example) => (
                <li key={example} className="rounded-lg border border-slate-200 bg-slate-50 px-3 py-2 font-mono text-xs text-slate-600">
                  {example}
                </li>
              ))}
            </ul>
            {canManageKeys && (
              <Link
                href="/settings/api-keys"
                className="inline-flex h-9 items-center gap-2 rounded-md bg-brand-600 px-3.5 text-sm font-medium text-white shadow-sm hover:bg-brand-700"
              >
                <KeyRound className="size-4" aria-hidden="true" /> Create a write key
              </Link>
            )}
          </div>
        </EmptyState>
      </>
    );
  }

  const quiet = names.isSuccess && recentTotal === 0;

  return (
    <>
      {header}
      {quiet ? (
        <div className="mb-6">
          <EmptyState
            icon={CalendarX2}
            title="No events in the last 30 days"
            description={
              <>
                Junction last received an event {lastSeen ? sinceText(lastSeen) : "a while ago"}. If your apps should be sending, check that they
                still use an active write key (Settings → API keys). Earlier events are listed below.
              </>
            }
          />
        </div>
      ) : (
        <StatGrid>
          <Stat label="Events, last 30 days" value={names.data ? `${names.data.truncated ? "≥ " : ""}${formatCount(recentTotal)}` : null} />
          <Stat
            label="Event names"
            value={names.data ? `${formatCount(events.length)}${names.data.truncated ? "+" : ""}` : null}
            hint={names.data ? `${formatCount(events.filter((e) => e.recentCount > 0).length)} active in 30 days` : null}
          />
          <Stat label="Last event" value={lastSeen ? relativeTime(lastSeen) : names.data ? "—" : null} />
        </StatGrid>
      )}

      <div className="relative mb-4 max-w-md">
        <Search className="pointer-events-none absolute top-2.5 left-3 size-4 text-slate-400" aria-hidden="true" />
        <Input
          type="search"
          aria-label="Filter event names"
          placeholder="Filter event names"
          className="pl-9"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      </div>

      <Card>
        <table className="w-full text-left text-sm" data-testid="events-table">
          <thead className="border-b border-slate-100 text-xs text-slate-500">
            <tr>
              <th scope="col" className="px-5 py-2.5 font-medium">Event</th>
              <th scope="col" className="w-72 px-5 py-2.5 font-medium">Last 30 days</th>
              <th scope="col" className="w-32 px-5 py-2.5 text-right font-medium">All time</th>
              <th scope="col" className="w-36 px-5 py-2.5 text-right font-medium">Last seen</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {names.isPending &&
              Array.from({ length: 6 }, (_, i) => (
                <tr key={i} aria-hidden="true">
                  <td className="px-5 py-3">
                    <div className="h-4 w-48 animate-pulse rounded bg-slate-100" />
                  </td>
                  <td className="px-5 py-3">
                    <div className="h-4 w-40 animate-pulse rounded bg-slate-100" />
                  </td>
                  <td className="px-5 py-3">
                    <div className="ml-auto h-4 w-12 animate-pulse rounded bg-slate-100" />
                  </td>
                  <td className="px-5 py-3">
                    <div className="ml-auto h-4 w-20 animate-pulse rounded bg-slate-100" />
                  </td>
                </tr>
              ))}
            {names.isSuccess && shown.length === 0 && (
              <tr>
                <td colSpan={4} className="px-5 py-6 text-center text-sm text-slate-500">No event names match “{filter.trim()}”.</td>
              </tr>
            )}
            {shown.map((e) => (
              <tr key={e.name} className="hover:bg-slate-50">
                <td className="max-w-96 px-5 py-2.5">
                  <div className="flex items-center gap-2">
                    <Link href={eventHref(e.name)} className="truncate font-medium text-brand-700 hover:underline" title={e.name}>
                      {e.name}
                    </Link>
                    <TypeBadges types={e.types} />
                  </div>
                </td>
                <td className="px-5 py-2.5">
                  <div className="flex items-center gap-3">
                    <span className="w-16 shrink-0 text-right font-medium text-slate-900 tabular-nums" data-testid="recent-count">
                      {formatCount(e.recentCount)}
                    </span>
                    <div className="h-1.5 flex-1 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
                      <div
                        className="h-full rounded-full bg-brand-500"
                        style={{ width: e.recentCount > 0 ? `max(4px, ${(e.recentCount / maxRecent) * 100}%)` : 0 }}
                      />
                    </div>
                  </div>
                </td>
                <td className="px-5 py-2.5 text-right text-slate-600 tabular-nums">{formatCount(e.totalCount)}</td>
                <td className="px-5 py-2.5 text-right whitespace-nowrap text-slate-500" title={e.lastSeenAt.toISOString()}>
                  {relativeTime(e.lastSeenAt)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="flex items-center justify-between border-t border-slate-100 px-5 py-3 text-sm text-slate-500">
          <span>
            {names.data
              ? term
                ? `${shown.length} of ${events.length} names`
                : `${formatCount(events.length)} ${events.length === 1 ? "name" : "names"}`
              : "Loading…"}
            {names.data?.truncated && ` · showing the ${formatCount(names.data.limit)} most frequent`}
          </span>
          <span className="text-xs text-slate-400">Identify, group and alias calls have no name and are not listed.</span>
        </div>
      </Card>
    </>
  );
}
