"use client";

import { operandOf } from "@/lib/segments/editing";
import { TIME_UNITS, type ValueType } from "@/lib/segments/schema";
import { NumberInput, SelectInput, TextInput, ValuesInput } from "../ui/inline-inputs";
import type { AnyOperator, ErrorOf } from "./editor-context";

/** The inputs an operator needs, per operand kind; `field` of `onChange` is the operand's ("value", "min", "unit"…). */
export function OperandInputs({
  valueType,
  operator,
  onChange,
  errorOf,
  label,
  suggestions,
}: {
  valueType: ValueType;
  operator: AnyOperator;
  onChange: (operator: AnyOperator, field: string) => void;
  /** By operand ("value", "min"…). */
  errorOf: ErrorOf;
  /** What the inputs are named after: "Trait" gives "Trait value", "Trait minimum"… */
  label: string;
  /** The id of a datalist of values to offer. */
  suggestions?: string;
}) {
  const set = (field: string, value: unknown) => onChange({ ...operator, [field]: value }, field);
  switch (operandOf(valueType, operator.op)) {
    case "value":
      if (valueType === "boolean") {
        return <SelectInput label={`${label} value`} value={String(operator.value)} options={[{ value: "true", label: "true" }, { value: "false", label: "false" }]} onChange={(v) => set("value", v === "true")} />;
      }
      if (valueType === "number") return <NumberInput label={`${label} value`} value={operator.value as number} onChange={(v) => set("value", v)} error={errorOf("value")} />;
      if (valueType === "date") return <TextInput type="date" label={`${label} date`} value={String(operator.value ?? "")} onChange={(v) => set("value", v)} error={errorOf("value")} />;
      if (valueType === "list") {
        return <TextInput label={`${label} value`} value={String(operator.value ?? "")} onChange={(v) => set("value", v)} error={errorOf("value")} />;
      }
      return <TextInput label={`${label} value`} value={String(operator.value ?? "")} list={suggestions} onChange={(v) => set("value", v)} error={errorOf("value")} placeholder="value" />;
    case "values":
      return <ValuesInput label={`${label} values`} numeric={valueType === "number"} values={(operator.values as (string | number)[]) ?? []} onChange={(v) => set("values", v)} error={errorOf("values")} />;
    case "range":
      return (
        <>
          <NumberInput label={`${label} minimum`} value={operator.min as number} onChange={(v) => set("min", v)} error={errorOf("min")} />
          <span className="text-sm text-slate-500">and</span>
          <NumberInput label={`${label} maximum`} value={operator.max as number} onChange={(v) => set("max", v)} error={errorOf("max")} />
        </>
      );
    case "dates":
      return (
        <>
          <TextInput type="date" label={`${label} from`} value={String(operator.from ?? "")} onChange={(v) => set("from", v)} error={errorOf("from")} />
          <span className="text-sm text-slate-500">and</span>
          <TextInput type="date" label={`${label} to`} value={String(operator.to ?? "")} onChange={(v) => set("to", v)} error={errorOf("to")} />
        </>
      );
    case "relative":
      return (
        <>
          <NumberInput label={`${label} amount`} value={operator.amount as number} onChange={(v) => set("amount", v)} error={errorOf("amount")} />
          <SelectInput label={`${label} unit`} value={operator.unit as string} options={TIME_UNITS.map((u) => ({ value: u, label: u }))} onChange={(v) => set("unit", v)} />
          {operator.op === "moreThanAgo" && <span className="text-sm text-slate-500">ago</span>}
        </>
      );
    case "none":
      return null;
  }
}
