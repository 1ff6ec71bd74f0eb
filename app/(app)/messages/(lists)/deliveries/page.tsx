import type { Metadata } from "next";
import { DeliveryList } from "@/components/messages/delivery-list";

export const metadata: Metadata = { title: "Deliveries" };

/** Messages → Deliveries; `?journey=<id>` opens it filtered to one journey's sends (linked from the journey page). */
export default async function Page({ searchParams }: { searchParams: Promise<{ journey?: string | string[] }> }) {
  const { journey } = await searchParams;
  const journeyId = typeof journey === "string" && journey.length > 0 && journey.length <= 64 ? journey : undefined;
  return <DeliveryList key={journeyId ?? ""} journeyId={journeyId} />;
}
