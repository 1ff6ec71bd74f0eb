import type { Metadata } from "next";
import { AuditLog } from "@/components/settings/audit-log";
import { requirePageRole } from "@/server/auth/guards";

export const metadata: Metadata = { title: "Audit log" };

export default async function AuditPage() {
  await requirePageRole("admin");
  return <AuditLog />;
}
