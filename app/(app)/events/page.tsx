import type { Metadata } from "next";
import { EventDetail } from "@/components/events/event-detail";
import { EventList } from "@/components/events/event-list";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** `?event=purchase` opens one event; names can hold any character, so a search param rather than a path segment. */
async function selectedEvent(searchParams: SearchParams): Promise<string | null> {
  const raw = (await searchParams).event;
  const name = Array.isArray(raw) ? raw[0] : raw;
  return name ? name : null;
}

export async function generateMetadata({ searchParams }: { searchParams: SearchParams }): Promise<Metadata> {
  const name = await selectedEvent(searchParams);
  return { title: name ? `${name.slice(0, 60)} · Events` : "Events" };
}

export default async function EventsPage({ searchParams }: { searchParams: SearchParams }) {
  const name = await selectedEvent(searchParams);
  return name ? <EventDetail key={name} name={name} /> : <EventList />;
}
