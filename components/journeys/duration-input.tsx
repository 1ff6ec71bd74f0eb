"use client";

import { DURATION_UNITS, type Duration } from "@/lib/journeys/schema";
import { Field, Input, Select } from "../ui/field";

/**
 * An amount and a unit ("24 hours"): a wait, a timeout, a conversion window. Optional ones
 * (a wait not set yet) can be emptied; `required` ones keep at least 1.
 */
export function DurationInput(
  props:
    | { label: string; error?: string; required?: false; value: Duration | undefined; onChange: (d: Duration | undefined) => void }
    | { label: string; error?: string; required: true; value: Duration; onChange: (d: Duration) => void },
) {
  const { label, error, value } = props;
  const set = (amount: number, unit: Duration["unit"]) => {
    if (props.required) props.onChange({ amount: Math.max(1, amount) || 1, unit });
    else props.onChange(amount > 0 ? { amount, unit } : undefined);
  };
  return (
    <Field label={label} error={error}>
      {(p) => (
        <div className="flex gap-2">
          <Input {...p} inputMode="numeric" className="w-24" value={value ? String(value.amount) : ""} onChange={(e) => set(Number(e.target.value.replace(/[^0-9]/g, "")), value?.unit ?? "hours")} />
          <Select aria-label={`${label} unit`} className="w-32" value={value?.unit ?? "hours"} onChange={(e) => set(value?.amount ?? 1, e.target.value as Duration["unit"])}>
            {DURATION_UNITS.map((u) => (
              <option key={u} value={u}>
                {u}
              </option>
            ))}
          </Select>
        </div>
      )}
    </Field>
  );
}
