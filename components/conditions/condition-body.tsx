"use client";

import { changeOperator, OPERATORS } from "@/lib/segments/editing";
import type { Condition, SeenCondition } from "@/lib/segments/schema";
import { Select } from "../ui/field";
import { NumberInput, SelectInput } from "../ui/inline-inputs";
import type { AnyOperator, ConditionContext } from "./editor-context";
import { EventEditor } from "./event-editor";
import { OperandInputs } from "./operand-inputs";
import { TraitEditor } from "./trait-editor";

/**
 * The inputs of any condition, by its type. `onChange(next, field)`: the changed condition,
 * and which of its fields changed ("op", "field", "operator.value", "window.amount"…).
 */
export function ConditionBody({ node, onChange, ctx }: { node: Condition; onChange: (node: Condition, field: string) => void; ctx: ConditionContext }) {
  const { errorOf } = ctx;
  switch (node.type) {
    case "trait":
      return <TraitEditor node={node} onChange={onChange} ctx={ctx} />;
    case "event":
      return <EventEditor node={node} onChange={onChange} ctx={ctx} />;
    case "firstSeen":
    case "lastSeen": {
      const operator = node.operator as AnyOperator;
      return (
        <>
          <SelectInput
            label={`${node.type === "lastSeen" ? "Last" : "First"} seen operator`}
            value={operator.op}
            options={OPERATORS.date.map((o) => ({ value: o.op, label: o.label }))}
            onChange={(op) => onChange({ ...node, operator: changeOperator(operator, "date", op) } as SeenCondition, "op")}
          />
          <OperandInputs
            valueType="date"
            operator={operator}
            label={node.type === "lastSeen" ? "Last seen" : "First seen"}
            errorOf={(f) => errorOf(`operator.${f}`)}
            onChange={(next, field) => onChange({ ...node, operator: next } as SeenCondition, field)}
          />
        </>
      );
    }
    case "segment":
      return (
        <>
          <SelectInput label="Membership" value={node.op} options={[{ value: "in", label: "is in" }, { value: "notIn", label: "is not in" }]} onChange={(op) => onChange({ ...node, op }, "op")} />
          <Select compact aria-label="Segment" className="w-56" value={node.segmentId} invalid={Boolean(errorOf("segmentId"))} onChange={(e) => onChange({ ...node, segmentId: e.target.value }, "segment")}>
            <option value="">Choose a segment…</option>
            {ctx.segments
              .filter((s) => !s.archived || s.id === node.segmentId)
              .map((s) => (
                <option key={s.id} value={s.id}>
                  {s.archived ? `${s.name} (archived)` : s.name}
                </option>
              ))}
          </Select>
          {ctx.segments.some((s) => s.id === node.segmentId && s.archived) && (
            <span className="text-xs text-amber-700">archived: its membership no longer updates</span>
          )}
        </>
      );
    case "subscription": {
      const groups = ctx.suggestions.subscriptionGroups;
      const known = groups?.some((g) => g.id === node.groupId) ?? true;
      return (
        <>
          <SelectInput
            label="Subscription"
            value={node.op}
            options={[
              { value: "subscribed", label: "is subscribed to" },
              { value: "unsubscribed", label: "is not subscribed to" },
            ]}
            onChange={(op) => onChange({ ...node, op }, "op")}
          />
          <Select compact aria-label="Subscription group" className="w-72" value={node.groupId} invalid={Boolean(errorOf("groupId"))} onChange={(e) => onChange({ ...node, groupId: e.target.value }, "groupId")}>
            <option value="">{groups && groups.length === 0 ? "No groups yet (Settings → Subscriptions)" : "Choose a group…"}</option>
            {!known && node.groupId !== "" && <option value={node.groupId}>A deleted group</option>}
            {groups?.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name} ({g.detail})
              </option>
            ))}
          </Select>
          {!known && node.groupId !== "" && <span className="text-xs text-amber-700">this group no longer exists: nobody is subscribed to it</span>}
        </>
      );
    }
    case "bucket":
      return (
        <>
          <span className="text-sm text-slate-500">from</span>
          <NumberInput label="First bucket" value={node.from} onChange={(from) => onChange({ ...node, from }, "from")} error={errorOf("from")} />
          <span className="text-sm text-slate-500">to</span>
          <NumberInput label="Last bucket" value={node.to} onChange={(to) => onChange({ ...node, to }, "to")} error={errorOf("to")} />
          <span className="text-xs text-slate-500">
            of 0–9,999 ≈ {Number.isNaN(node.to - node.from) ? "—" : `${Math.max(0, (node.to - node.from + 1) / 100).toFixed(1)} %`} of people
          </span>
        </>
      );
  }
}
