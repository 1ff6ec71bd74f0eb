import type { Metadata } from "next";
import { SystemStatus } from "@/components/settings/system-status";
import { requirePageAccess } from "@/server/auth/guards";

export const metadata: Metadata = { title: "Status" };

export default async function StatusPage() {
  await requirePageAccess("system.read");
  return <SystemStatus />;
}
