"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { CONSENT_CHANNEL_LABELS, MODE_LABELS } from "@/lib/consent/schema";
import type { Condition } from "@/lib/segments/schema";
import { useTRPC } from "../trpc/client";
import type { ConditionSuggestions, SegmentChoice, SubscriptionGroupChoice } from "./editor-context";

const STALE_MS = 5 * 60_000;

/**
 * The workspace's autocomplete for one condition, asked for only when it needs it: trait
 * keys for a trait, event names and the named event's properties for an event.
 */
export function useConditionSuggestions(node: Condition): ConditionSuggestions {
  const trpc = useTRPC();
  const event = node.type === "event" ? node.event : "";
  const keys = useQuery({ ...trpc.segments.traitKeys.queryOptions(), enabled: node.type === "trait", staleTime: STALE_MS });
  const fields = useQuery({ ...trpc.segments.fieldValues.queryOptions(), enabled: node.type === "trait", staleTime: STALE_MS });
  const events = useEventSuggestions(event, node.type === "event");
  const groups = useSubscriptionGroupChoices(node.type === "subscription");
  return useMemo(
    () =>
      node.type === "trait"
        ? { traitKeys: keys.data, fieldValues: fields.data }
        : node.type === "event"
          ? events
          : node.type === "subscription"
            ? { subscriptionGroups: groups }
            : {},
    [node.type, keys.data, fields.data, events, groups],
  );
}

/** Event names seen lately and the named event's properties (a journey's trigger, wait or goal; an event condition). */
export function useEventSuggestions(event: string, enabled = true): Pick<ConditionSuggestions, "eventNames" | "eventProperties"> {
  const trpc = useTRPC();
  const names = useQuery({ ...trpc.events.names.queryOptions({ days: 30 }), enabled, staleTime: STALE_MS });
  const properties = useQuery({ ...trpc.events.properties.queryOptions({ name: event, days: 30 }), enabled: enabled && event.trim() !== "", staleTime: STALE_MS });
  return useMemo(() => ({ eventNames: names.data?.events.map((e) => e.name), eventProperties: properties.data?.properties }), [names.data, properties.data]);
}

/** The workspace's subscription groups, for subscription conditions and for naming them in explanations. */
export function useSubscriptionGroupChoices(enabled = true): SubscriptionGroupChoice[] | undefined {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.consent.groups.queryOptions(), enabled, staleTime: 60_000 });
  return useMemo(() => list.data?.map((g) => ({ id: g.id, name: g.name, detail: `${CONSENT_CHANNEL_LABELS[g.channel]} · ${MODE_LABELS[g.mode]}` })), [list.data]);
}

/** The workspace's segments, for "member of a segment" conditions and for naming them. */
export function useSegmentChoices(): SegmentChoice[] {
  const trpc = useTRPC();
  const list = useQuery(trpc.segments.list.queryOptions({ limit: 100, stats: false, includeArchived: true }));
  return useMemo(() => list.data?.items.map((s) => ({ id: s.id, name: s.name, archived: s.archivedAt !== null })) ?? [], [list.data]);
}
