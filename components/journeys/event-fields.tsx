"use client";

import { useId, useState } from "react";
import { ZPropertyFilter, type PropertyFilter } from "@/lib/segments/schema";
import { PropertyFilters } from "../conditions/event-editor";
import { useEventSuggestions } from "../conditions/suggestions";
import { Field, Input } from "../ui/field";

/**
 * An event a journey listens for — its trigger, a wait, the goal or exit criteria: the name
 * (suggested from what the workspace received lately) and property filters, edited with the
 * segment builder's filter rows. A filter still being typed stays here until it is complete;
 * the journey only ever holds finished ones, so autosave never stores half a filter.
 */
export function EventFields({
  label,
  event,
  filters,
  onChange,
  error,
  placeholder,
}: {
  label: string;
  event: string | undefined;
  filters: PropertyFilter[];
  onChange: (event: string | undefined, filters: PropertyFilter[]) => void;
  error?: string;
  placeholder?: string;
}) {
  const namesId = useId();
  const suggestions = useEventSuggestions(event ?? "");
  const [rows, setRows] = useState<PropertyFilter[]>(filters);
  const finished = (list: PropertyFilter[]) => list.filter((f) => ZPropertyFilter.safeParse(f).success && f.path.trim() !== "" && !("value" in f.operator && f.operator.value === ""));
  // Changed from outside (undo, another step selected): the journey's filters win.
  const [seen, setSeen] = useState(filters);
  if (seen !== filters) {
    setSeen(filters);
    if (JSON.stringify(finished(rows)) !== JSON.stringify(filters)) setRows(filters);
  }
  const unfinished = rows.length - finished(rows).length;
  return (
    <div className="space-y-1">
      <Field label={label} error={error}>
        {(p) => <Input {...p} list={namesId} value={event ?? ""} placeholder={placeholder} onChange={(e) => onChange(e.target.value.trim() || undefined, finished(rows))} />}
      </Field>
      <datalist id={namesId}>
        {suggestions.eventNames?.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <div className="space-y-2 text-sm">
        <PropertyFilters
          filters={rows}
          suggestions={suggestions}
          errorOf={() => undefined}
          onChange={(next) => {
            setRows(next);
            onChange(event, finished(next));
          }}
        />
      </div>
      {unfinished > 0 && <p className="text-xs text-amber-700">{unfinished === 1 ? "One filter is" : `${unfinished} filters are`} not finished and not used yet.</p>}
    </div>
  );
}
