import type { ReactNode } from "react";

export function StatGrid({ children }: { children: ReactNode }) {
  return <dl className="mb-6 grid gap-4 sm:grid-cols-3">{children}</dl>;
}

/** A number with its label; `value` null shows a loading placeholder. */
export function Stat({ label, value, hint }: { label: string; value: ReactNode | null; hint?: ReactNode | null }) {
  return (
    <div className="rounded-xl border border-slate-200 bg-white px-5 py-4 shadow-xs">
      <dt className="text-sm text-slate-500">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold tracking-tight text-slate-900 tabular-nums">
        {value ?? <span className="inline-block h-7 w-24 animate-pulse rounded bg-slate-100 align-middle" />}
      </dd>
      {hint !== undefined && <dd className="mt-0.5 h-4 text-xs text-slate-500">{hint}</dd>}
    </div>
  );
}
