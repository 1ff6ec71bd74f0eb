"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { cn } from "../ui/cn";
import { Logo } from "./logo";
import { MAIN_NAV, isActive } from "./nav";

export function Sidebar({ workspaceName }: { workspaceName: string }) {
  const pathname = usePathname();
  return (
    <aside className="w-60 shrink-0 border-r border-slate-200 bg-white">
      <div className="sticky top-0 flex h-screen flex-col">
      <div className="flex h-14 items-center border-b border-slate-100 px-4">
        <Logo />
      </div>
      <div className="px-4 pt-4 pb-2">
        <p className="text-[11px] font-semibold tracking-wider text-slate-400 uppercase">Workspace</p>
        <p className="mt-0.5 truncate text-sm font-medium text-slate-800" title={workspaceName} data-testid="workspace-name">
          {workspaceName}
        </p>
      </div>
      <nav aria-label="Main" className="flex-1 space-y-0.5 px-2 py-2">
        {MAIN_NAV.map(({ href, label, icon: Icon }) => {
          const active = isActive(pathname, href);
          return (
            <Link
              key={href}
              href={href}
              aria-current={active ? "page" : undefined}
              className={cn(
                "flex items-center gap-2.5 rounded-md px-2.5 py-1.5 text-sm font-medium transition-colors",
                active ? "bg-brand-50 text-brand-700" : "text-slate-600 hover:bg-slate-100 hover:text-slate-900",
              )}
            >
              <Icon className={cn("size-4", active ? "text-brand-600" : "text-slate-400")} aria-hidden="true" />
              {label}
            </Link>
          );
        })}
      </nav>
      <p className="px-4 py-3 text-[11px] text-slate-400">Junction 0.1</p>
      </div>
    </aside>
  );
}
