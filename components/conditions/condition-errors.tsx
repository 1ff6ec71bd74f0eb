import { cn } from "../ui/cn";

/** A condition's problems, each led by the name of its field: "Value is required", "End is required". */
export function ConditionErrors({ errors, className }: { errors: { field: string; message: string }[]; className?: string }) {
  if (errors.length === 0) return null;
  return (
    <ul className={cn("space-y-0.5", className)} role="alert">
      {errors.map((e, i) => (
        <li key={i} className="text-xs font-medium text-red-600">
          {fieldLabel(e.field)} {e.message}
        </li>
      ))}
    </ul>
  );
}

function fieldLabel(field: string): string {
  const last = field.split(".").filter((p) => !/^[0-9]+$/.test(p)).pop() ?? "";
  const names: Record<string, string> = { value: "Value", values: "Values", event: "Event name", path: "Property", from: "Start", to: "End", min: "Minimum", max: "Maximum", amount: "Amount", segmentId: "Segment", field: "Trait" };
  return names[last] ?? (last ? last[0]!.toUpperCase() + last.slice(1) : "This group");
}

/** On a condition the count leaves out until it is finished. */
export function UnfinishedBadge() {
  return (
    <span className="shrink-0 rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-amber-200 ring-inset" data-testid="condition-unfinished">
      Unfinished · not counted
    </span>
  );
}
