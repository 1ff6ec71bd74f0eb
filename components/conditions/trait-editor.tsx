"use client";

import { useId } from "react";
import { defaultOperator } from "@/lib/segments/editing";
import { BUILTIN_FIELDS, type TraitCondition, type ValueType } from "@/lib/segments/schema";
import { Input } from "../ui/field";
import { Comparison } from "./comparison";
import type { ConditionContext } from "./editor-context";

/** A profile field or trait key (offered from the workspace's), then its comparison. `field`: "field", or the comparison's. */
export function TraitEditor({ node, onChange, ctx }: { node: TraitCondition; onChange: (node: TraitCondition, field: string) => void; ctx: ConditionContext }) {
  const keys = ctx.suggestions.traitKeys;
  const listId = useId();
  const valuesId = useId();
  const traitKey = node.field.startsWith("traits.") ? node.field.slice(7).split(".")[0] : undefined;
  const top = traitKey !== undefined ? (keys?.find((k) => k.key === traitKey)?.topValues ?? []) : (ctx.suggestions.fieldValues?.[node.field] ?? []);
  const fieldText = node.field.startsWith("traits.") ? node.field.slice(7) : node.field;
  const fieldError = ctx.errorOf("field");
  return (
    <>
      <Input
        compact
        aria-label="Trait"
        className="w-32"
        list={listId}
        value={fieldText}
        invalid={Boolean(fieldError)}
        title={fieldError ?? "A profile field (email, country…) or a trait key"}
        onChange={(e) => {
          const v = e.target.value;
          const field = (BUILTIN_FIELDS as readonly string[]).includes(v) ? v : `traits.${v}`;
          // A known trait: take its most common type.
          const known = keys?.find((k) => k.key === v);
          const type = known?.types[0];
          const valueType: ValueType | undefined = type === "string" || type === "number" || type === "boolean" ? type : type === "array" ? "list" : undefined;
          const next = valueType && valueType !== node.valueType ? { valueType, operator: defaultOperator(valueType) } : {};
          onChange({ ...node, ...next, field } as TraitCondition, "field");
        }}
      />
      <datalist id={listId}>
        {BUILTIN_FIELDS.map((f) => (
          <option key={f} value={f} />
        ))}
        {keys?.map((k) => (
          <option key={k.key} value={k.key}>{`${k.key} (${k.types.join(", ")})`}</option>
        ))}
      </datalist>
      <datalist id={valuesId}>
        {top.map((v) => (
          <option key={String(v)} value={String(v)} />
        ))}
      </datalist>
      <Comparison label="Trait" value={node} suggestions={valuesId} errorOf={ctx.errorOf} onChange={(next, field) => onChange({ ...node, ...next } as TraitCondition, field)} />
    </>
  );
}
