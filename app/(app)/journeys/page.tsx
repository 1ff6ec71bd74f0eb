import type { Metadata } from "next";
import { JourneyList } from "@/components/journeys/journey-list";

export const metadata: Metadata = { title: "Journeys" };

export default function Page() {
  return <JourneyList />;
}
