"use client";

import { useQuery } from "@tanstack/react-query";
import { UsersRound } from "lucide-react";
import Link from "next/link";
import { formatDateTime, relativeTime } from "@/lib/format";
import { useSegmentChoices } from "../conditions/suggestions";
import { useTRPC } from "../trpc/client";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { Explanation } from "./explanation";
import { MembershipTimeline } from "./membership-timeline";

/**
 * The profile page's Segments tab: current memberships with entry date, each with why the
 * person matches; under them the history of every entry and exit.
 */
export function ProfileSegments({ profileId }: { profileId: string }) {
  return (
    <div className="space-y-6">
      <CurrentSegments profileId={profileId} />
      <MembershipTimeline profileId={profileId} />
    </div>
  );
}

function CurrentSegments({ profileId }: { profileId: string }) {
  const trpc = useTRPC();
  const segments = useQuery(trpc.segments.forProfile.queryOptions({ profileId }));
  const choices = useSegmentChoices();
  const segmentName = (id: string) => choices.find((c) => c.id === id)?.name ?? "a deleted segment";
  if (segments.isPending) return <div className="h-40 animate-pulse rounded-xl bg-slate-100" />;
  if (segments.isError) return <p className="text-sm text-red-600">{segments.error.message}</p>;
  if (segments.data.length === 0) {
    return <EmptyState icon={UsersRound} title="In no segments" description="This person is not in any saved segment right now." />;
  }
  return (
    <ul className="space-y-4" data-testid="profile-segments">
      {segments.data.map((s) => (
        <li key={s.id}>
          <Card className="px-5 py-4">
            <div className="flex flex-wrap items-baseline justify-between gap-2">
              <Link href={`/segments/${s.id}`} className="font-semibold text-brand-700 hover:underline">
                {s.name}
              </Link>
              <span className="text-xs text-slate-500" title={formatDateTime(s.enteredAt)}>
                member since {relativeTime(s.enteredAt)}
              </span>
            </div>
            <div className="mt-3">
              {s.explanation ? (
                <Explanation node={s.definition.root} trace={s.explanation.trace} segmentName={segmentName} />
              ) : (
                <p className="text-sm text-slate-500">—</p>
              )}
              {s.explanation && !s.explanation.match && (
                <p className="mt-2 text-xs text-amber-700">No longer matches: leaves the segment at the next refresh.</p>
              )}
            </div>
          </Card>
        </li>
      ))}
    </ul>
  );
}
