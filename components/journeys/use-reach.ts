"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { JourneyDefinition } from "@/lib/journeys/schema";
import { useTRPC, useTRPCClient } from "../trpc/client";
import { useDebounced } from "../ui/use-debounced";

export type JourneyReachData = ReturnType<typeof useTRPC>["journeys"]["reach"]["~types"]["output"];

/**
 * What the reach depends on: the graph without where its nodes sit or what they are called,
 * so dragging a node or renaming it does not count again.
 */
function reachKey(definition: JourneyDefinition | null): string | null {
  if (!definition) return null;
  return JSON.stringify({
    ...definition,
    nodes: definition.nodes.map((n) => ({ ...n, position: { x: 0, y: 0 }, label: undefined })),
  });
}

/**
 * The reach preview of a journey being edited (`trpc.journeys.reach`): how many people the
 * entry takes in now, and how they divide along each edge. Counted a moment after the graph
 * stops changing (moving nodes does not count); the previous numbers stay on screen while
 * the next load. `countExactly()` asks for the exact entry count of the current graph
 * (`exact`, with `exactPending` while it runs). The procedure is a mutation only because a
 * journey does not fit in a GET's URL: here it is read like a query.
 */
export function useJourneyReach(definition: JourneyDefinition | null, enabled: boolean) {
  const client = useTRPCClient();
  const current = useMemo(() => reachKey(definition), [definition]);
  const key = useDebounced(current, 600);
  const [exactFor, setExactFor] = useState<string | null>(null);
  const fetchReach = (graph: string, exact: boolean) => () => client.journeys.reach.mutate({ definition: JSON.parse(graph) as JourneyDefinition, exact });

  const estimate = useQuery({
    queryKey: ["journeys.reach", key, false],
    queryFn: fetchReach(key ?? "null", false),
    enabled: enabled && key !== null,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
    retry: false,
  });
  const wantsExact = exactFor !== null && exactFor === key;
  const exact = useQuery({
    queryKey: ["journeys.reach", key, true],
    queryFn: fetchReach(key ?? "null", true),
    enabled: enabled && wantsExact,
    staleTime: 30_000,
    retry: false,
  });

  // The exact answer, once there, is the better one (its edges divide the exact count).
  const data: JourneyReachData | undefined = wantsExact && exact.data ? exact.data : estimate.data;
  return {
    data,
    /** True while a newer graph is being counted (the numbers shown are the previous graph's). */
    updating: estimate.isFetching || key !== current,
    error: estimate.error ?? (wantsExact ? exact.error : null),
    retry: () => void (wantsExact ? exact.refetch() : estimate.refetch()),
    countExactly: () => setExactFor(key),
    exactPending: wantsExact && exact.isFetching,
  };
}

export type JourneyReachState = ReturnType<typeof useJourneyReach>;
