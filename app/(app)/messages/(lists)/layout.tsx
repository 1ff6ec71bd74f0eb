import type { ReactNode } from "react";
import { PageHeader } from "@/components/ui/page-header";
import { RouteTabs } from "@/components/ui/route-tabs";

const TABS = [
  { href: "/messages", label: "Templates" },
  { href: "/messages/partials", label: "Partials" },
  { href: "/messages/deliveries", label: "Deliveries" },
];

export default function MessagesLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <PageHeader title="Messages" description="What journeys send, per channel, written in Liquid and previewed with real people; and everything that was sent." />
      <RouteTabs label="Messages" tabs={TABS} />
      {children}
    </>
  );
}
