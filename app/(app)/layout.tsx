import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { Sidebar } from "@/components/shell/sidebar";
import { UserMenu } from "@/components/shell/user-menu";
import { NoWorkspace } from "@/components/shell/no-workspace";
import { currentViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: ReactNode }) {
  const viewer = await currentViewer();
  if (!viewer) redirect("/login");
  if (!viewer.membership) return <NoWorkspace email={viewer.user.email} />;
  return (
    <div className="flex min-h-screen">
      <Sidebar workspaceName={viewer.membership.workspaceName} />
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-10 flex h-14 items-center justify-end border-b border-slate-200 bg-white/90 px-8 backdrop-blur">
          <UserMenu name={viewer.user.name} email={viewer.user.email} role={viewer.membership.role} />
        </header>
        <main className="mx-auto w-full max-w-6xl flex-1 px-8 py-8">{children}</main>
      </div>
    </div>
  );
}
