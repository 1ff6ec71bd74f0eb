import type { Metadata } from "next";
import { UsersRound } from "lucide-react";
import { AreaEmpty } from "@/components/shell/area-placeholder";

export const metadata: Metadata = { title: "Segments" };

export default function Page() {
  return (
    <AreaEmpty
      title="Segments"
      description="Groups of people defined by traits and behaviour, with live size previews."
      icon={UsersRound}
      emptyTitle="No segments yet"
      emptyText="Segments combine who people are with what they do. Once events arrive, you can build groups like these:"
      examples={[
        "Bought more than 3× in the last 30 days but inactive for 7 days",
        "Opens emails often but never converts",
        "Used the tariff calculator 3× without seeing a result",
        "Lapsed buyers: no purchase in 90 days",
      ]}
    />
  );
}
