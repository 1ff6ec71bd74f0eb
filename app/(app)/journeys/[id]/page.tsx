import type { Metadata } from "next";
import { JourneyEditor } from "@/components/journeys/journey-editor";

export const metadata: Metadata = { title: "Journey" };

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <JourneyEditor journeyId={id} />;
}
