"use client";

import { useQuery } from "@tanstack/react-query";
import { Route } from "lucide-react";
import Link from "next/link";
import { formatDateTime, relativeTime } from "@/lib/format";
import { useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";

const STATUS: Record<"active" | "completed" | "exited" | "converted", { label: string; tone: "green" | "slate" | "amber" | "brand" }> = {
  active: { label: "In it now", tone: "green" },
  completed: { label: "Completed", tone: "slate" },
  exited: { label: "Left", tone: "amber" },
  converted: { label: "Converted", tone: "brand" },
};

/** The profile page's Journeys tab: the journeys this person is in now and was in, with each one's lifecycle phase. */
export function ProfileJourneys({ profileId }: { profileId: string }) {
  const trpc = useTRPC();
  const journeys = useQuery(trpc.journeys.ofProfile.queryOptions({ profileId }));
  if (journeys.isPending) return <div className="h-40 animate-pulse rounded-xl bg-slate-100" />;
  if (journeys.isError) return <p className="text-sm text-red-600">{journeys.error.message}</p>;
  if (journeys.data.length === 0) {
    return <EmptyState icon={Route} title="In no journeys" description="This person has not entered a journey yet. Live journeys enroll people when their trigger happens." />;
  }
  return (
    <Card>
      <ul className="divide-y divide-slate-100" data-testid="profile-journeys">
        {journeys.data.map((j) => {
          const status = STATUS[j.status];
          return (
            <li key={j.enrollmentId} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-5 py-3 text-sm">
              <Link href={`/journeys/${j.journeyId}`} className="font-semibold text-brand-700 hover:underline">
                {j.journeyName}
              </Link>
              <span className="text-xs text-slate-500">v{j.version}</span>
              {j.phase && <Badge tone="slate">{j.phase[0]!.toUpperCase() + j.phase.slice(1)}</Badge>}
              <Badge tone={status.tone}>{status.label}</Badge>
              {j.convertedAt && j.status !== "converted" && <Badge tone="brand">Converted</Badge>}
              <span className="ml-auto text-xs text-slate-500" title={formatDateTime(j.enteredAt)}>
                entered {relativeTime(j.enteredAt)}
                {j.endedAt && ` · ended ${relativeTime(j.endedAt)}${j.exitReason ? ` (${j.exitReason.replace(/_/g, " ")})` : ""}`}
              </span>
            </li>
          );
        })}
      </ul>
    </Card>
  );
}
