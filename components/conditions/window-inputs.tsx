"use client";

import { TIME_UNITS, type Window } from "@/lib/segments/schema";
import { NumberInput, SelectInput, TextInput } from "../ui/inline-inputs";
import type { ErrorOf } from "./editor-context";

/** An event condition's time window: ever, in the last N units, or between two dates. `field`: "window.kind", "window.amount"… */
export function WindowInputs({ window, onChange, errorOf }: { window: Window; onChange: (w: Window, field: string) => void; errorOf: ErrorOf }) {
  return (
    <>
      <SelectInput
        label="Time window"
        value={window.kind}
        options={[
          { value: "last", label: "in the last" },
          { value: "ever", label: "ever" },
          { value: "between", label: "between" },
        ]}
        onChange={(kind) => onChange(kind === "ever" ? { kind } : kind === "last" ? { kind, amount: 30, unit: "days" } : { kind, from: "", to: "" }, "window.kind")}
      />
      {window.kind === "last" && (
        <>
          <NumberInput label="Window length" value={window.amount} onChange={(amount) => onChange({ ...window, amount }, "window.amount")} error={errorOf("window.amount")} />
          <SelectInput label="Window unit" value={window.unit} options={TIME_UNITS.map((u) => ({ value: u, label: u }))} onChange={(unit) => onChange({ ...window, unit }, "window.unit")} />
        </>
      )}
      {window.kind === "between" && (
        <>
          <TextInput type="date" label="Window from" value={window.from} onChange={(from) => onChange({ ...window, from }, "window.from")} error={errorOf("window.from")} />
          <span className="text-sm text-slate-500">and</span>
          <TextInput type="date" label="Window to" value={window.to} onChange={(to) => onChange({ ...window, to }, "window.to")} error={errorOf("window.to")} />
        </>
      )}
    </>
  );
}
