"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc/client";

/** How often the live overlay refreshes while visible (TanStack Query skips hidden tabs). */
export const JOURNEY_STATS_INTERVAL_MS = 10_000;

/**
 * The canvas's live overlay for one journey — entered, waiting now per node, per-exit counts,
 * conversions, all versions summed (`trpc.journeys.stats`) — refetched every 10 s and when
 * the tab is shown again; the previous numbers stay on screen while new ones load.
 * `enabled`: only for journeys that ever went live (a draft has nobody inside).
 */
export function useJourneyStats(journeyId: string, enabled: boolean) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.journeys.stats.queryOptions({ id: journeyId }),
    enabled,
    placeholderData: keepPreviousData,
    staleTime: JOURNEY_STATS_INTERVAL_MS / 2,
    refetchInterval: JOURNEY_STATS_INTERVAL_MS,
    refetchOnWindowFocus: "always",
  });
}

/**
 * The journey list's columns (in it now, entered in 7 days, conversion rate) for the journeys
 * shown, keyed by journey id (`trpc.journeys.listStats`); refreshed like the overlay.
 */
export function useJourneyListStats(journeyIds: string[]) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.journeys.listStats.queryOptions({ ids: journeyIds }),
    enabled: journeyIds.length > 0,
    placeholderData: keepPreviousData,
    staleTime: JOURNEY_STATS_INTERVAL_MS / 2,
    refetchInterval: JOURNEY_STATS_INTERVAL_MS,
    refetchOnWindowFocus: "always",
  });
}
