import type { ReactNode } from "react";
import { RouteTabs } from "@/components/ui/route-tabs";
import { PageHeader } from "@/components/ui/page-header";
import { currentViewer } from "@/server/auth/session";
import { can } from "@/lib/auth/roles";

export default async function SettingsLayout({ children }: { children: ReactNode }) {
  const viewer = await currentViewer();
  const role = viewer?.membership?.role;
  // Each tab for those its page lets in (requirePageAccess).
  const tabs = [
    { href: "/settings", label: "General" },
    ...(can(role, "members.manage") ? [{ href: "/settings/members", label: "Members" }] : []),
    { href: "/settings/channels", label: "Channels" },
    { href: "/settings/subscriptions", label: "Subscriptions" },
    ...(can(role, "keys.manage") ? [{ href: "/settings/api-keys", label: "API keys" }] : []),
    ...(can(role, "audit.read") ? [{ href: "/settings/audit", label: "Audit log" }] : []),
    ...(can(role, "system.read") ? [{ href: "/settings/status", label: "Status" }] : []),
  ];
  return (
    <>
      <PageHeader title="Settings" description="Workspace settings, members, channels, subscriptions, API keys, the audit log and the system's status." />
      <RouteTabs label="Settings" tabs={tabs} />
      {children}
    </>
  );
}
