"use client";

import { changeOperator, defaultOperator, OPERATORS, VALUE_TYPE_LABELS } from "@/lib/segments/editing";
import { VALUE_TYPES, type ValueType } from "@/lib/segments/schema";
import { SelectInput } from "../ui/inline-inputs";
import type { AnyOperator, ErrorOf } from "./editor-context";
import { FlagInputs } from "./flag-inputs";
import { OperandInputs } from "./operand-inputs";

/**
 * Value type + operator + operands + flags: trait conditions and event property filters.
 * `field` of `onChange` is "valueType", "operator.op" or "operator.<operand or flag>".
 */
export function Comparison({
  value,
  onChange,
  errorOf,
  label,
  suggestions,
}: {
  value: { valueType: ValueType; operator: { op: string } };
  onChange: (next: { valueType: ValueType; operator: AnyOperator }, field: string) => void;
  /** By field of the comparison ("operator.value"…). */
  errorOf: ErrorOf;
  /** What the inputs are named after: "Trait" gives "Trait type", "Trait operator", "Trait value"… */
  label: string;
  /** The id of a datalist of values to offer. */
  suggestions?: string;
}) {
  const operator = value.operator as AnyOperator;
  return (
    <>
      <SelectInput
        label={`${label} type`}
        className="w-28"
        value={value.valueType}
        options={VALUE_TYPES.map((t) => ({ value: t, label: VALUE_TYPE_LABELS[t] }))}
        onChange={(valueType) => onChange({ valueType, operator: defaultOperator(valueType) }, "valueType")}
      />
      <SelectInput
        label={`${label} operator`}
        className="w-36"
        value={operator.op}
        options={OPERATORS[value.valueType].map((o) => ({ value: o.op, label: o.label }))}
        onChange={(op) => onChange({ valueType: value.valueType, operator: changeOperator(operator, value.valueType, op) }, "operator.op")}
      />
      <OperandInputs
        valueType={value.valueType}
        operator={operator}
        label={label}
        suggestions={suggestions}
        errorOf={(field) => errorOf(`operator.${field}`)}
        onChange={(next, field) => onChange({ valueType: value.valueType, operator: next }, `operator.${field}`)}
      />
      <FlagInputs valueType={value.valueType} operator={operator} label={label} onChange={(next, field) => onChange({ valueType: value.valueType, operator: next }, `operator.${field}`)} />
    </>
  );
}
