"use client";

import { useQuery } from "@tanstack/react-query";
import { ArrowLeft, Braces, SearchX } from "lucide-react";
import Link from "next/link";
import { formatDateTime, relativeTime } from "@/lib/format";
import { useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Card, CardHeader } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { DailyChart, DailyChartSkeleton } from "./daily-chart";
import { TypeBadges } from "./event-list";
import { formatCount, sinceText } from "@/lib/format";
import { pluralEvents } from "./format";
import { PropertyTable, PropertyTableSkeleton } from "./property-table";
import { Stat, StatGrid } from "./stat";

const DAYS = 30;

function BackLink() {
  return (
    <Link href="/events" className="mb-4 inline-flex items-center gap-1 text-sm text-slate-500 hover:text-slate-800">
      <ArrowLeft className="size-4" aria-hidden="true" /> Events
    </Link>
  );
}

/** One event name: its daily volume and the shape of its properties. */
export function EventDetail({ name }: { name: string }) {
  const trpc = useTRPC();
  const summary = useQuery(trpc.events.names.queryOptions({ days: DAYS, name }));
  const daily = useQuery(trpc.events.daily.queryOptions({ name, days: DAYS }));
  const properties = useQuery(trpc.events.properties.queryOptions({ name, days: DAYS }));
  const event = summary.data?.events[0];

  if (summary.isError || (summary.isSuccess && !event)) {
    return (
      <>
        <BackLink />
        <EmptyState
          icon={SearchX}
          title={`No events named “${name}”`}
          description={summary.isError ? summary.error.message : "Junction has never received an event with this name in this workspace. Names are case-sensitive."}
        >
          <Link href="/events" className="text-sm font-medium text-brand-600 hover:text-brand-700">Back to all events →</Link>
        </EmptyState>
      </>
    );
  }

  return (
    <>
      <BackLink />
      <div className="mb-6 flex min-w-0 flex-wrap items-center gap-3">
        <h1 className="min-w-0 truncate text-2xl font-semibold tracking-tight text-slate-900" title={name}>{name}</h1>
        {event && <TypeBadges types={event.types} />}
      </div>

      <StatGrid>
        <Stat label="Last 30 days" value={event ? formatCount(event.recentCount) : null} />
        <Stat label="All time" value={event ? formatCount(event.totalCount) : null} />
        <Stat
          label="Last seen"
          value={event ? relativeTime(event.lastSeenAt) : null}
          hint={event ? formatDateTime(event.lastSeenAt) : null}
        />
      </StatGrid>

      <Card className="mb-6">
        <CardHeader
          title="Per day"
          description={
            daily.data
              ? `${pluralEvents(daily.data.total)} in the last ${DAYS} days, by day in ${daily.data.timeZone}. The first and last bars are partial days.`
              : `The last ${DAYS} days.`
          }
        />
        <div className="px-5 pt-5 pb-4">
          {daily.isError ? (
            <p className="py-16 text-center text-sm text-red-600">{daily.error.message}</p>
          ) : daily.data ? (
            <DailyChart name={name} days={daily.data.days} timeZone={daily.data.timeZone} />
          ) : (
            <DailyChartSkeleton />
          )}
        </div>
      </Card>

      <Card>
        <CardHeader
          title="Properties"
          description={
            properties.data && properties.data.matched > 0
              ? properties.data.sampled
                ? `From the most recent ${formatCount(properties.data.sampleSize)} of ${pluralEvents(properties.data.matched)} in the last ${DAYS} days.`
                : `From all ${pluralEvents(properties.data.matched)} in the last ${DAYS} days.`
              : "Keys, their types and most common values."
          }
          actions={properties.data?.sampled ? <Badge tone="amber">Sampled</Badge> : undefined}
        />
        {properties.isError ? (
          <p className="px-5 py-8 text-center text-sm text-red-600">{properties.error.message}</p>
        ) : !properties.data ? (
          <PropertyTableSkeleton />
        ) : properties.data.matched === 0 ? (
          <div className="p-5">
            <EmptyState
              icon={Braces}
              title={`No ${name} events in the last ${DAYS} days`}
              description={
                event
                  ? `Properties are read from recent events; the last one arrived ${sinceText(event.lastSeenAt)}.`
                  : "Properties are read from recent events."
              }
            />
          </div>
        ) : properties.data.properties.length === 0 ? (
          <p className="px-5 py-8 text-center text-sm text-slate-500">These events carry no properties.</p>
        ) : (
          <>
            <PropertyTable properties={properties.data.properties} sampleSize={properties.data.sampleSize} />
            {properties.data.keysTruncated && (
              <p className="border-t border-slate-100 px-5 py-3 text-xs text-slate-500">
                Showing the {properties.data.properties.length} most common keys.
              </p>
            )}
          </>
        )}
      </Card>
    </>
  );
}
