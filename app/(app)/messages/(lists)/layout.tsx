import type { ReactNode } from "react";
import { PageHeader } from "@/components/ui/page-header";
import { RouteTabs } from "@/components/ui/route-tabs";
import { demoInboxAvailable } from "@/server/demo/inbox";

const TABS = [
  { href: "/messages", label: "Templates" },
  { href: "/messages/partials", label: "Partials" },
  { href: "/messages/deliveries", label: "Deliveries" },
];

/** Demo mode only: what the local mail catcher caught (server/demo/smtp-catcher.ts). */
const DEMO_INBOX_TAB = { href: "/messages/inbox", label: "Demo inbox" };

export default function MessagesLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <PageHeader title="Messages" description="What journeys send, per channel, written in Liquid and previewed with real people; and everything that was sent." />
      <RouteTabs label="Messages" tabs={demoInboxAvailable() ? [...TABS, DEMO_INBOX_TAB] : TABS} />
      {children}
    </>
  );
}
