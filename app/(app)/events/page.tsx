import type { Metadata } from "next";
import { Activity } from "lucide-react";
import { AreaEmpty } from "@/components/shell/area-placeholder";

export const metadata: Metadata = { title: "Events" };

export default function Page() {
  return (
    <AreaEmpty
      title="Events"
      description="The events your apps send, with counts and property types."
      icon={Activity}
      emptyTitle="No events received yet"
      emptyText="Send events with any Segment-compatible client pointed at Junction. They become the building blocks of segments and triggers."
      examples={[
        "page_view, product_viewed, add_to_cart",
        "checkout_started, purchase",
        "feature_used, onboarding_step",
        "email_opened, push_opened",
      ]}
    />
  );
}
