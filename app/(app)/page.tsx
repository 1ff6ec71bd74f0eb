import type { Metadata } from "next";
import { DashboardView } from "@/components/dashboard/dashboard-view";
import { currentViewer } from "@/server/auth/session";

export const metadata: Metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  const viewer = await currentViewer();
  const firstName = viewer?.user.name.split(/\s+/)[0] ?? "";
  return <DashboardView firstName={firstName} />;
}
