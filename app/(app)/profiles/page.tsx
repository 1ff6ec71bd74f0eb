import type { Metadata } from "next";
import { Users } from "lucide-react";
import { AreaEmpty } from "@/components/shell/area-placeholder";

export const metadata: Metadata = { title: "Profiles" };

export default function Page() {
  return (
    <AreaEmpty
      title="Profiles"
      description="Everyone Junction knows about: traits, identities and their event history."
      icon={Users}
      emptyTitle="No profiles yet"
      emptyText="Profiles appear as soon as your apps send identify or track calls. Each profile shows its traits and a timeline of events."
      examples={[
        "Traits: plan, country, device, goals",
        "Identities: user id, anonymous ids, email",
        "Timeline: every event, newest first",
        "Segments: which ones they are in, and why",
      ]}
    />
  );
}
