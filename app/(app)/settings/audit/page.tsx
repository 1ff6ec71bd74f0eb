import type { Metadata } from "next";
import { AuditLog } from "@/components/settings/audit-log";
import { requirePageAccess } from "@/server/auth/guards";

export const metadata: Metadata = { title: "Audit log" };

export default async function AuditPage() {
  await requirePageAccess("audit.read");
  return <AuditLog />;
}
