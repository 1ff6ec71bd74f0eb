import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { DemoInbox } from "@/components/demo/demo-inbox";
import { requirePageAccess } from "@/server/auth/guards";
import { demoInboxAvailable } from "@/server/demo/inbox";

export const metadata: Metadata = { title: "Demo inbox" };

/** Messages → Demo inbox: only in demo mode (npm start without DATABASE_URL); a 404 anywhere else. */
export default async function Page() {
  if (!demoInboxAvailable()) notFound();
  await requirePageAccess("workspace.read");
  return <DemoInbox />;
}
