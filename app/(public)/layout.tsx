import type { ReactNode } from "react";

/**
 * Pages for the people a workspace writes to (the hosted preference page): no sign-in, no
 * app chrome, the workspace's name rather than Junction's.
 */
export default function PublicLayout({ children }: { children: ReactNode }) {
  return (
    <main className="flex min-h-screen flex-col items-center bg-slate-50 px-4 py-12">
      <div className="w-full max-w-lg rounded-2xl border border-slate-200 bg-white p-8 shadow-sm">{children}</div>
      <p className="mt-8 text-xs text-slate-400">Preferences by Junction</p>
    </main>
  );
}
