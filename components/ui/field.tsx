import { forwardRef, useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from "react";
import { cn } from "./cn";

const control =
  "block w-full rounded-md border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-brand-500 focus:outline-none disabled:bg-slate-50 disabled:text-slate-500";
const invalid = "ring-red-400 focus:ring-red-500";
/** The small inline control of editors that sit in a row (conditions): marked red by `aria-invalid`. */
const compactControl =
  "h-8 rounded-md border-0 bg-white px-2 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-brand-500 focus:outline-none aria-[invalid=true]:ring-red-400";

/** `compact`: the small inline variant, sized by its `className` (see ./inline-inputs). */
type ControlProps = { invalid?: boolean; compact?: boolean };

export const Input = forwardRef<HTMLInputElement, InputHTMLAttributes<HTMLInputElement> & ControlProps>(
  function Input({ className, invalid: isInvalid, compact, ...props }, ref) {
    const classes = compact ? cn(compactControl, className) : cn(control, "h-9", isInvalid && invalid, className);
    return <input ref={ref} className={classes} aria-invalid={isInvalid || undefined} {...props} />;
  },
);

export const Select = forwardRef<HTMLSelectElement, SelectHTMLAttributes<HTMLSelectElement> & ControlProps>(
  function Select({ className, invalid: isInvalid, compact, children, ...props }, ref) {
    const classes = compact ? cn(compactControl, "pr-7", className) : cn(control, "h-9 pr-8", isInvalid && invalid, className);
    return (
      <select ref={ref} className={classes} aria-invalid={isInvalid || undefined} {...props}>
        {children}
      </select>
    );
  },
);

/** Label, control, hint and error wired together for screen readers. */
export function Field({
  label,
  hint,
  error,
  children,
  className,
}: {
  label: string;
  hint?: ReactNode;
  error?: string | null;
  children: (props: { id: string; "aria-describedby"?: string; invalid: boolean }) => ReactNode;
  className?: string;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={cn("space-y-1.5", className)}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      {children({ id, "aria-describedby": describedBy, invalid: Boolean(error) })}
      {hint && !error && (
        <p id={hintId} className="text-xs text-slate-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} role="alert" className="text-xs font-medium text-red-600">
          {error}
        </p>
      )}
    </div>
  );
}
