"use client";

import { BarChart3, Plus, X } from "lucide-react";
import { useId, useState } from "react";
import { defaultOperator } from "@/lib/segments/editing";
import type { EventCondition, PropertyFilter, ValueType } from "@/lib/segments/schema";
import { Button } from "../ui/button";
import { NumberInput, SelectInput, TextInput } from "../ui/inline-inputs";
import { Comparison } from "./comparison";
import type { ConditionContext } from "./editor-context";
import { ThresholdHelper } from "./threshold-helper";
import { WindowInputs } from "./window-inputs";

type CountChoice = "gte" | "lte" | "eq" | "none";

/**
 * An event performed at least / at most / exactly N times or not at all, in a window, with
 * property filters. `field` of `onChange`: "event", "count.op", "window.amount", "where.0.path"…
 */
export function EventEditor({ node, onChange, ctx }: { node: EventCondition; onChange: (node: EventCondition, field: string) => void; ctx: ConditionContext }) {
  const { errorOf, suggestions } = ctx;
  const namesId = useId();
  const set = (patch: Partial<EventCondition>, field: string) => onChange({ ...node, ...patch }, field);
  const choice: CountChoice = node.count.op === "eq" && node.count.value === 0 ? "none" : node.count.op;
  const [showHistogram, setShowHistogram] = useState(false);

  return (
    <div className="flex min-w-0 flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <TextInput label="Event name" className="w-40" list={namesId} placeholder="event name" value={node.event} error={errorOf("event")} onChange={(event) => set({ event }, "event")} />
        <datalist id={namesId}>
          {suggestions.eventNames?.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        <SelectInput
          label="How often"
          value={choice}
          options={[
            { value: "gte", label: "at least" },
            { value: "lte", label: "at most" },
            { value: "eq", label: "exactly" },
            { value: "none", label: "not at all" },
          ]}
          onChange={(c) => set({ count: c === "none" ? { op: "eq", value: 0 } : { op: c, value: choice === "none" ? 1 : node.count.value } }, "count.op")}
        />
        {choice !== "none" && (
          <>
            <NumberInput label="Times" value={node.count.value} onChange={(value) => set({ count: { ...node.count, value } }, "count.value")} error={errorOf("count.value")} className="w-16" />
            <span className="text-sm text-slate-500">{node.count.value === 1 ? "time" : "times"}</span>
          </>
        )}
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <WindowInputs window={node.window} errorOf={errorOf} onChange={(window, field) => set({ window }, field)} />
      </div>
      <PropertyFilters filters={node.where} errorOf={errorOf} suggestions={suggestions} onChange={(where, field) => set({ where }, field)} />
      <div className="flex flex-wrap gap-1">
        <Button variant="ghost" size="sm" aria-expanded={showHistogram} onClick={() => setShowHistogram((v) => !v)}>
          <BarChart3 className="size-3.5" aria-hidden="true" /> {showHistogram ? "Hide distribution" : "How often do people do this?"}
        </Button>
      </div>
      {showHistogram && <ThresholdHelper node={node} onCut={(count) => set({ count }, "count.cut")} />}
    </div>
  );
}

/** Property filters on an event ("where plan equals pro"): an event condition's, a journey trigger's, wait's or goal's. `field`: "where.0.path"… */
export function PropertyFilters({
  filters,
  onChange,
  errorOf,
  suggestions,
}: {
  filters: PropertyFilter[];
  onChange: (filters: PropertyFilter[], field: string) => void;
  errorOf: ConditionContext["errorOf"];
  suggestions: ConditionContext["suggestions"];
}) {
  const keysId = useId();
  const setFilter = (i: number, filter: PropertyFilter, field: string) => onChange(filters.map((f, k) => (k === i ? filter : f)), `where.${i}.${field}`);
  return (
    <>
      {filters.map((filter, i) => {
        const valuesId = `${keysId}-v${i}`;
        const top = suggestions.eventProperties?.find((p) => p.key === filter.path)?.topValues ?? [];
        return (
          <div key={i} className="flex flex-wrap items-center gap-2 border-l-2 border-slate-200 pl-3">
            <span className="text-xs font-medium tracking-wide text-slate-500 uppercase">where</span>
            <TextInput
              label="Property"
              list={keysId}
              placeholder="property"
              value={filter.path}
              error={errorOf(`where.${i}.path`)}
              onChange={(path) => {
                const known = suggestions.eventProperties?.find((p) => p.key === path);
                const type = known?.types[0]?.type;
                const valueType: ValueType | undefined = type === "string" || type === "number" || type === "boolean" ? type : undefined;
                setFilter(i, (valueType && valueType !== filter.valueType ? { path, valueType, operator: defaultOperator(valueType) } : { ...filter, path }) as PropertyFilter, "path");
              }}
            />
            <datalist id={valuesId}>
              {top.map((v) => (
                <option key={String(v.value)} value={String(v.value)} />
              ))}
            </datalist>
            <Comparison label="Property" value={filter} suggestions={valuesId} errorOf={(f) => errorOf(`where.${i}.${f}`)} onChange={(next, field) => setFilter(i, { ...filter, ...next } as PropertyFilter, field)} />
            <Button variant="ghost" size="sm" aria-label="Remove property filter" onClick={() => onChange(filters.filter((_, k) => k !== i), `where.${i}.remove`)}>
              <X className="size-3.5" aria-hidden="true" />
            </Button>
          </div>
        );
      })}
      <datalist id={keysId}>
        {suggestions.eventProperties?.map((p) => (
          <option key={p.key} value={p.key} />
        ))}
      </datalist>
      <div>
        <Button variant="ghost" size="sm" onClick={() => onChange([...filters, { path: "", valueType: "string", operator: { op: "equals", value: "" } }], "where.add")}>
          <Plus className="size-3.5" aria-hidden="true" /> Where property…
        </Button>
      </div>
    </>
  );
}
