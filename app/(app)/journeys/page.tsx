import type { Metadata } from "next";
import { Route } from "lucide-react";
import { AreaEmpty } from "@/components/shell/area-placeholder";

export const metadata: Metadata = { title: "Journeys" };

export default function Page() {
  return (
    <AreaEmpty
      title="Journeys"
      description="Short, triggered journeys that send the right message at the right moment."
      icon={Route}
      emptyTitle="No journeys yet"
      emptyText="A journey starts at a moment that matters, waits, branches and sends email, SMS, push or webhooks. For example:"
      examples={[
        "Onboarding drop-off: remind after 24 h, then offer a live call",
        "Cart abandoned: email after 1 h, push after a day",
        "Lapsed: win-back offer, stop when they buy",
        "Feature explorer: tips after the third visit",
      ]}
    />
  );
}
