import { cn } from "../ui/cn";

/** Two paths meeting: a junction. */
export function Logo({ className, withName = true }: { className?: string; withName?: boolean }) {
  return (
    <span className={cn("inline-flex items-center gap-2", className)}>
      <svg viewBox="0 0 32 32" className="size-7" aria-hidden="true">
        <rect width="32" height="32" rx="8" className="fill-brand-600" />
        <path d="M8 9c5 0 8 3 8 7s3 7 8 7" fill="none" stroke="white" strokeWidth="2.6" strokeLinecap="round" />
        <path d="M8 23c5 0 8-3 8-7" fill="none" stroke="white" strokeOpacity="0.55" strokeWidth="2.6" strokeLinecap="round" />
        <circle cx="16" cy="16" r="2.6" fill="white" />
      </svg>
      {withName && <span className="text-[17px] font-semibold tracking-tight text-slate-900">Junction</span>}
    </span>
  );
}
