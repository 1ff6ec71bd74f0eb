import type { ReactNode } from "react";
import { SettingsTabs } from "@/components/settings/settings-tabs";
import { PageHeader } from "@/components/ui/page-header";
import { currentViewer } from "@/server/auth/session";
import { hasRole } from "@/lib/auth/roles";

export default async function SettingsLayout({ children }: { children: ReactNode }) {
  const viewer = await currentViewer();
  const isAdmin = viewer?.membership ? hasRole(viewer.membership.role, "admin") : false;
  const tabs = [
    { href: "/settings", label: "General" },
    ...(isAdmin
      ? [
          { href: "/settings/members", label: "Members" },
          { href: "/settings/api-keys", label: "API keys" },
          { href: "/settings/audit", label: "Audit log" },
        ]
      : []),
  ];
  return (
    <>
      <PageHeader title="Settings" description="Workspace settings, members, API keys and the audit log." />
      <SettingsTabs tabs={tabs} />
      {children}
    </>
  );
}
