import type { Metadata } from "next";
import { SubscriptionsSettings } from "@/components/settings/subscriptions-settings";
import { requirePageAccess } from "@/server/auth/guards";

export const metadata: Metadata = { title: "Subscriptions" };

export default async function SubscriptionsPage() {
  const viewer = await requirePageAccess("workspace.read");
  return <SubscriptionsSettings role={viewer.membership.role} />;
}
