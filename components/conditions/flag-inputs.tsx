"use client";

import { allowsFlag } from "@/lib/segments/editing";
import type { ValueType } from "@/lib/segments/schema";
import { SelectInput } from "../ui/inline-inputs";
import type { AnyOperator } from "./editor-context";

/**
 * The operator's options: "any case" for text comparisons, and — for negations and "is
 * empty" — what happens to people who have no value at all, said in words either way.
 */
export function FlagInputs({
  valueType,
  operator,
  label,
  onChange,
}: {
  valueType: ValueType;
  operator: AnyOperator;
  label: string;
  /** `field`: the flag, "ignoreCase" or "includeMissing". */
  onChange: (operator: AnyOperator, field: string) => void;
}) {
  const set = (flag: "ignoreCase" | "includeMissing", on: boolean) => {
    const next = { ...operator };
    if (on) next[flag] = true;
    else delete next[flag];
    onChange(next, flag);
  };
  return (
    <>
      {allowsFlag(valueType, operator.op, "ignoreCase") && (
        <label className="inline-flex items-center gap-1.5 text-xs text-slate-600" title="The letters A–Z match a–z">
          <input type="checkbox" className="size-3.5 rounded border-slate-300" checked={operator.ignoreCase === true} onChange={(e) => set("ignoreCase", e.target.checked)} />
          any case
        </label>
      )}
      {allowsFlag(valueType, operator.op, "includeMissing") && (
        <SelectInput
          label={`${label}: people without a value`}
          className="w-60"
          value={operator.includeMissing === true ? "in" : "out"}
          options={[
            { value: "out", label: "people without one: left out" },
            { value: "in", label: "people without one: counted in" },
          ]}
          onChange={(v) => set("includeMissing", v === "in")}
        />
      )}
    </>
  );
}
