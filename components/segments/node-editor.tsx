"use client";

import { useQuery } from "@tanstack/react-query";
import { ArrowDown, ArrowUp, BarChart3, CalendarClock, Dices, GripVertical, Layers, MousePointerClick, Plus, Tag, Trash2, UsersRound, X } from "lucide-react";
import { Fragment, useId, useMemo, useState, type ReactNode } from "react";
import {
  changeOperator,
  defaultOperator,
  newCondition,
  newGroup,
  allowsFlag,
  operandOf,
  OPERATORS,
  VALUE_TYPE_LABELS,
  type ConditionKind,
  type NodePath,
} from "@/lib/segments/editing";
import {
  BUILTIN_FIELDS,
  TIME_UNITS,
  VALUE_TYPES,
  type Condition,
  type EventCondition,
  type Group,
  type PropertyFilter,
  type SegmentNode,
  type ValueType,
  type Window,
} from "@/lib/segments/schema";
import { useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { cn } from "../ui/cn";
import { Input, Select } from "../ui/field";
import { NumberInput, SelectInput, TextInput, ValuesInput } from "../ui/inline-inputs";
import { ThresholdHelper } from "./threshold-helper";

/** What every editor needs: how to change the draft, the errors to show, the per-condition counts. */
export interface EditorContext {
  /** Replace the node at `path`; `group` coalesces rapid edits of one field into one undo step. */
  update: (path: NodePath, node: SegmentNode, group?: string) => void;
  insert: (groupPath: NodePath, node: SegmentNode) => void;
  remove: (path: NodePath) => void;
  move: (path: NodePath, to: number) => void;
  errors: Map<string, { field: string; message: string }[]>;
  /** Top-level conditions only: how many match each alone. */
  counts?: { text: string; title: string }[];
  segments: { id: string; name: string }[];
  currentSegmentId?: string;
}

const KIND_LABELS: Record<ConditionKind, string> = {
  trait: "Trait or profile field",
  event: "Performed an event",
  lastSeen: "Last seen",
  firstSeen: "First seen",
  segment: "Member of a segment",
  bucket: "Random bucket (holdouts)",
};
/** Short titles above a condition. */
const KIND_TITLES: Record<ConditionKind, string> = {
  trait: "Trait",
  event: "Performed",
  lastSeen: "Last seen",
  firstSeen: "First seen",
  segment: "Segment",
  bucket: "Random bucket",
};
const KIND_ICONS: Record<ConditionKind, typeof Tag> = {
  trait: Tag,
  event: MousePointerClick,
  lastSeen: CalendarClock,
  firstSeen: CalendarClock,
  segment: UsersRound,
  bucket: Dices,
};

function errorFor(ctx: EditorContext, path: NodePath, field: string): string | undefined {
  return ctx.errors.get(path.join("."))?.find((e) => e.field === field || e.field.startsWith(`${field}.`))?.message;
}

/** The inputs an operator needs, per operand kind. */
function OperandInputs({
  valueType,
  operator,
  onChange,
  errorOf,
  label,
  suggestions,
}: {
  valueType: ValueType;
  operator: Record<string, unknown> & { op: string };
  onChange: (operator: Record<string, unknown> & { op: string }, field: string) => void;
  errorOf: (field: string) => string | undefined;
  label: string;
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

/** Value type + operator + operands: trait conditions and event property filters. */
function Comparison({
  value,
  onChange,
  errorOf,
  label,
  suggestions,
}: {
  value: { valueType: ValueType; operator: { op: string } };
  onChange: (next: { valueType: ValueType; operator: Record<string, unknown> & { op: string } }, field: string) => void;
  errorOf: (field: string) => string | undefined;
  label: string;
  suggestions?: string;
}) {
  const operator = value.operator as Record<string, unknown> & { op: string };
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

/**
 * The operator's options: "any case" for text comparisons, and — for negations and "is
 * empty" — what happens to people who have no value at all, said in words either way.
 */
function FlagInputs({
  valueType,
  operator,
  label,
  onChange,
}: {
  valueType: ValueType;
  operator: Record<string, unknown> & { op: string };
  label: string;
  onChange: (operator: Record<string, unknown> & { op: string }, field: string) => void;
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

function TraitEditor({ node, path, ctx }: { node: Extract<Condition, { type: "trait" }>; path: NodePath; ctx: EditorContext }) {
  const trpc = useTRPC();
  const keys = useQuery({ ...trpc.segments.traitKeys.queryOptions(), staleTime: 5 * 60_000 });
  const listId = useId();
  const valuesId = useId();
  const traitKey = node.field.startsWith("traits.") ? node.field.slice(7).split(".")[0] : undefined;
  const top = keys.data?.find((k) => k.key === traitKey)?.topValues ?? [];
  const fieldText = node.field.startsWith("traits.") ? node.field.slice(7) : node.field;
  return (
    <>
      <Input
        compact
        aria-label="Trait"
        className="w-32"
        list={listId}
        value={fieldText}
        invalid={Boolean(errorFor(ctx, path, "field"))}
        title={errorFor(ctx, path, "field") ?? "A profile field (email, country…) or a trait key"}
        onChange={(e) => {
          const v = e.target.value;
          const field = (BUILTIN_FIELDS as readonly string[]).includes(v) ? v : `traits.${v}`;
          // A known trait: take its most common type.
          const known = keys.data?.find((k) => k.key === v);
          const type = known?.types[0];
          const valueType: ValueType | undefined = type === "string" || type === "number" || type === "boolean" ? type : type === "array" ? "list" : undefined;
          const next = valueType && valueType !== node.valueType ? { valueType, operator: defaultOperator(valueType) } : {};
          ctx.update(path, { ...node, ...next, field } as SegmentNode, `${node.id}:field`);
        }}
      />
      <datalist id={listId}>
        {BUILTIN_FIELDS.map((f) => (
          <option key={f} value={f} />
        ))}
        {keys.data?.map((k) => (
          <option key={k.key} value={k.key}>{`${k.key} (${k.types.join(", ")})`}</option>
        ))}
      </datalist>
      <datalist id={valuesId}>
        {top.map((v) => (
          <option key={String(v)} value={String(v)} />
        ))}
      </datalist>
      <Comparison
        label="Trait"
        value={node}
        suggestions={valuesId}
        errorOf={(field) => errorFor(ctx, path, field)}
        onChange={(next, field) => ctx.update(path, { ...node, ...next } as SegmentNode, `${node.id}:${field}`)}
      />
    </>
  );
}

type CountChoice = "gte" | "lte" | "eq" | "none";

function WindowInputs({ window, onChange, errorOf }: { window: Window; onChange: (w: Window, field: string) => void; errorOf: (f: string) => string | undefined }) {
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

function EventEditor({ node, path, ctx }: { node: EventCondition; path: NodePath; ctx: EditorContext }) {
  const trpc = useTRPC();
  const names = useQuery({ ...trpc.events.names.queryOptions({ days: 30 }), staleTime: 5 * 60_000 });
  const properties = useQuery({ ...trpc.events.properties.queryOptions({ name: node.event, days: 30 }), enabled: node.event.trim() !== "", staleTime: 5 * 60_000 });
  const namesId = useId();
  const keysId = useId();
  const errorOf = (field: string) => errorFor(ctx, path, field);
  const set = (patch: Partial<EventCondition>, field: string) => ctx.update(path, { ...node, ...patch }, `${node.id}:${field}`);
  const choice: CountChoice = node.count.op === "eq" && node.count.value === 0 ? "none" : node.count.op;
  const [showHistogram, setShowHistogram] = useState(false);
  const setFilter = (i: number, filter: PropertyFilter, field: string) => set({ where: node.where.map((f, k) => (k === i ? filter : f)) }, `where.${i}.${field}`);

  return (
    <div className="flex min-w-0 flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <TextInput label="Event name" className="w-40" list={namesId} placeholder="event name" value={node.event} error={errorOf("event")} onChange={(event) => set({ event }, "event")} />
        <datalist id={namesId}>
          {names.data?.events.map((e) => (
            <option key={e.name} value={e.name} />
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
      {node.where.map((filter, i) => {
        const valuesId = `${keysId}-v${i}`;
        const top = properties.data?.properties.find((p) => p.key === filter.path)?.topValues ?? [];
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
                const known = properties.data?.properties.find((p) => p.key === path);
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
            <Button variant="ghost" size="sm" aria-label="Remove property filter" onClick={() => set({ where: node.where.filter((_, k) => k !== i) }, `where.${i}.remove`)}>
              <X className="size-3.5" aria-hidden="true" />
            </Button>
          </div>
        );
      })}
      <datalist id={keysId}>
        {properties.data?.properties.map((p) => (
          <option key={p.key} value={p.key} />
        ))}
      </datalist>
      <div className="flex flex-wrap gap-1">
        <Button variant="ghost" size="sm" onClick={() => set({ where: [...node.where, { path: "", valueType: "string", operator: { op: "equals", value: "" } }] }, "where.add")}>
          <Plus className="size-3.5" aria-hidden="true" /> Where property…
        </Button>
        <Button variant="ghost" size="sm" aria-expanded={showHistogram} onClick={() => setShowHistogram((v) => !v)}>
          <BarChart3 className="size-3.5" aria-hidden="true" /> {showHistogram ? "Hide distribution" : "How often do people do this?"}
        </Button>
      </div>
      {showHistogram && <ThresholdHelper node={node} onCut={(count) => set({ count }, "count.cut")} />}
    </div>
  );
}

function ConditionBody({ node, path, ctx }: { node: Condition; path: NodePath; ctx: EditorContext }) {
  const errorOf = (field: string) => errorFor(ctx, path, field);
  switch (node.type) {
    case "trait":
      return <TraitEditor node={node} path={path} ctx={ctx} />;
    case "event":
      return <EventEditor node={node} path={path} ctx={ctx} />;
    case "firstSeen":
    case "lastSeen": {
      const operator = node.operator as Record<string, unknown> & { op: string };
      return (
        <>
          <SelectInput
            label={`${node.type === "lastSeen" ? "Last" : "First"} seen operator`}
            value={operator.op}
            options={OPERATORS.date.map((o) => ({ value: o.op, label: o.label }))}
            onChange={(op) => ctx.update(path, { ...node, operator: changeOperator(operator, "date", op) } as SegmentNode, `${node.id}:op`)}
          />
          <OperandInputs
            valueType="date"
            operator={operator}
            label={node.type === "lastSeen" ? "Last seen" : "First seen"}
            errorOf={(f) => errorOf(`operator.${f}`)}
            onChange={(next, field) => ctx.update(path, { ...node, operator: next } as SegmentNode, `${node.id}:${field}`)}
          />
        </>
      );
    }
    case "segment":
      return (
        <>
          <SelectInput label="Membership" value={node.op} options={[{ value: "in", label: "is in" }, { value: "notIn", label: "is not in" }]} onChange={(op) => ctx.update(path, { ...node, op }, `${node.id}:op`)} />
          <Select
            compact
            aria-label="Segment"
            className="w-56"
            value={node.segmentId}
            invalid={Boolean(errorOf("segmentId"))}
            onChange={(e) => ctx.update(path, { ...node, segmentId: e.target.value }, `${node.id}:segment`)}
          >
            <option value="">Choose a segment…</option>
            {ctx.segments
              .filter((s) => s.id !== ctx.currentSegmentId)
              .map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
          </Select>
        </>
      );
    case "bucket":
      return (
        <>
          <span className="text-sm text-slate-500">from</span>
          <NumberInput label="First bucket" value={node.from} onChange={(from) => ctx.update(path, { ...node, from }, `${node.id}:from`)} error={errorOf("from")} />
          <span className="text-sm text-slate-500">to</span>
          <NumberInput label="Last bucket" value={node.to} onChange={(to) => ctx.update(path, { ...node, to }, `${node.id}:to`)} error={errorOf("to")} />
          <span className="text-xs text-slate-500">
            of 0–9,999 ≈ {Number.isNaN(node.to - node.from) ? "—" : `${Math.max(0, (node.to - node.from + 1) / 100).toFixed(1)} %`} of people
          </span>
        </>
      );
  }
}

/** The node being dragged (drag to reorder, within its group). */
let dragging: NodePath | null = null;
const sameParent = (a: NodePath, b: NodePath) => a.length === b.length && a.slice(0, -1).every((v, i) => v === b[i]);

/** Drop-target props for a node: another node of the same group dropped here takes its place. */
function useDropTarget(path: NodePath, ctx: EditorContext) {
  const [over, setOver] = useState(false);
  return {
    over,
    props: {
      onDragOver: (e: React.DragEvent) => {
        if (!dragging || !sameParent(dragging, path) || dragging.at(-1) === path.at(-1)) return;
        e.preventDefault();
        e.stopPropagation();
        e.dataTransfer.dropEffect = "move";
        setOver(true);
      },
      onDragLeave: () => setOver(false),
      onDrop: (e: React.DragEvent) => {
        setOver(false);
        if (!dragging || !sameParent(dragging, path)) return;
        e.preventDefault();
        e.stopPropagation();
        ctx.move(dragging, path.at(-1)!);
        dragging = null;
      },
    },
  };
}

function DragHandle({ path, label }: { path: NodePath; label: string }) {
  return (
    <span
      draggable
      title={`Drag to reorder ${label} (or use the arrows)`}
      aria-hidden="true"
      data-testid="drag-handle"
      className="cursor-grab text-slate-300 hover:text-slate-500 active:cursor-grabbing"
      onDragStart={(e) => {
        dragging = path;
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", label);
      }}
      onDragEnd={() => (dragging = null)}
    >
      <GripVertical className="size-4" />
    </span>
  );
}

function NodeActions({ path, siblings, ctx, label }: { path: NodePath; siblings: number; ctx: EditorContext; label: string }) {
  const index = path[path.length - 1]!;
  return (
    <div className="flex shrink-0 items-center gap-0.5 opacity-70 group-focus-within/node:opacity-100 group-hover/node:opacity-100">
      <Button variant="ghost" size="sm" aria-label={`Move ${label} up`} disabled={index === 0} onClick={() => ctx.move(path, index - 1)}>
        <ArrowUp className="size-3.5" aria-hidden="true" />
      </Button>
      <Button variant="ghost" size="sm" aria-label={`Move ${label} down`} disabled={index === siblings - 1} onClick={() => ctx.move(path, index + 1)}>
        <ArrowDown className="size-3.5" aria-hidden="true" />
      </Button>
      <Button variant="ghost" size="sm" aria-label={`Remove ${label}`} onClick={() => ctx.remove(path)}>
        <Trash2 className="size-3.5" aria-hidden="true" />
      </Button>
    </div>
  );
}

function ConditionRow({ node, path, siblings, ctx, count }: { node: Condition; path: NodePath; siblings: number; ctx: EditorContext; count?: { text: string; title: string } }) {
  const Icon = KIND_ICONS[node.type];
  const errors = ctx.errors.get(path.join(".")) ?? [];
  const label = `condition ${path.map((i) => i + 1).join(".")}`;
  const drop = useDropTarget(path, ctx);
  return (
    <li
      {...drop.props}
      className={cn(
        "group/node rounded-lg border bg-white px-3 py-2.5 shadow-xs",
        errors.length ? "border-red-300 bg-red-50/30" : "border-slate-200",
        drop.over && "ring-2 ring-brand-400",
      )}
      aria-label={`${KIND_LABELS[node.type]}, ${label}`}
      data-testid="condition"
      data-invalid={errors.length > 0 || undefined}
    >
      <div className="flex items-center gap-2">
        <DragHandle path={path} label={label} />
        <Icon className="size-4 shrink-0 text-slate-400" aria-hidden="true" />
        <span className="text-xs font-semibold tracking-wide text-slate-500 uppercase">{KIND_TITLES[node.type]}</span>
        <span className="flex-1" />
        {count && (
          <span className="inline-flex shrink-0 items-center gap-1 rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-600 tabular-nums" title={count.title} data-testid="condition-count">
            <UsersRound className="size-3" aria-hidden="true" />
            <span className="sr-only">{count.title}: </span>
            {count.text}
          </span>
        )}
        <NodeActions path={path} siblings={siblings} ctx={ctx} label={label} />
      </div>
      <div className="mt-1.5 ml-12 flex min-w-0 flex-wrap items-center gap-2">
        <ConditionBody node={node} path={path} ctx={ctx} />
      </div>
      {errors.length > 0 && (
        <ul className="mt-1.5 ml-12 space-y-0.5" role="alert">
          {errors.map((e, i) => (
            <li key={i} className="text-xs font-medium text-red-600">
              {fieldLabel(e.field)} {e.message}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

function fieldLabel(field: string): string {
  const last = field.split(".").filter((p) => !/^[0-9]+$/.test(p)).pop() ?? "";
  const names: Record<string, string> = { value: "Value", values: "Values", event: "Event name", path: "Property", from: "Start", to: "End", min: "Minimum", max: "Maximum", amount: "Amount", segmentId: "Segment", field: "Trait" };
  return names[last] ?? (last ? last[0]!.toUpperCase() + last.slice(1) : "This group");
}

function AddMenu({ groupPath, ctx }: { groupPath: NodePath; ctx: EditorContext }) {
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const where = groupPath.length ? `group ${groupPath.map((i) => i + 1).join(".")}` : "segment";
  return (
    <div className="relative flex flex-wrap gap-2">
      <Button variant="secondary" size="sm" aria-haspopup="menu" aria-expanded={open} aria-controls={menuId} onClick={() => setOpen((o) => !o)}>
        <Plus className="size-3.5" aria-hidden="true" /> Add condition
      </Button>
      <Button variant="ghost" size="sm" onClick={() => ctx.insert(groupPath, newGroup(groupPath.length % 2 === 0 ? "or" : "and"))} aria-label={`Add group to ${where}`}>
        <Layers className="size-3.5" aria-hidden="true" /> Add group
      </Button>
      {open && (
        <ul
          id={menuId}
          role="menu"
          aria-label={`Condition kinds for ${where}`}
          className="absolute top-9 left-0 z-20 w-64 rounded-lg border border-slate-200 bg-white p-1 shadow-lg"
          onKeyDown={(e) => {
            if (e.key === "Escape") setOpen(false);
            if (e.key === "ArrowDown" || e.key === "ArrowUp") {
              e.preventDefault();
              const items = [...e.currentTarget.querySelectorAll<HTMLButtonElement>("[role=menuitem]")];
              const at = items.indexOf(document.activeElement as HTMLButtonElement);
              items[(at + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length]?.focus();
            }
          }}
        >
          {(Object.keys(KIND_LABELS) as ConditionKind[]).map((kind, i) => {
            const Icon = KIND_ICONS[kind];
            return (
              <li key={kind} role="none">
                <button
                  type="button"
                  role="menuitem"
                  autoFocus={i === 0}
                  className="flex w-full items-center gap-2 rounded-md px-2.5 py-1.5 text-left text-sm text-slate-700 hover:bg-slate-100 focus:bg-slate-100 focus:outline-none"
                  onClick={() => {
                    ctx.insert(groupPath, newCondition(kind));
                    setOpen(false);
                  }}
                >
                  <Icon className="size-4 text-slate-400" aria-hidden="true" /> {KIND_LABELS[kind]}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

/** A group: all/any toggle, negation, its children with labelled connectors, and add buttons. */
export function GroupEditor({ group, path, ctx, siblings = 1 }: { group: Group; path: NodePath; ctx: EditorContext; siblings?: number }) {
  const isRoot = path.length === 0;
  const connector = group.op === "and" ? "AND" : "OR";
  const errors = ctx.errors.get(path.join(".")) ?? [];
  const label = isRoot ? "segment" : `group ${path.map((i) => i + 1).join(".")}`;
  const drop = useDropTarget(path, ctx);
  const body: ReactNode = (
    <>
      <div className="flex flex-wrap items-center gap-2">
        {!isRoot && <DragHandle path={path} label={label} />}
        {group.not && <span className="rounded bg-red-100 px-1.5 py-0.5 text-xs font-semibold text-red-700">NOT</span>}
        <span className="text-sm text-slate-700">{isRoot ? "People who match" : "Match"}</span>
        <div role="radiogroup" aria-label={`How the conditions of the ${label} combine`} className="inline-flex rounded-md bg-slate-100 p-0.5">
          {(["and", "or"] as const).map((op) => (
            <button
              key={op}
              type="button"
              role="radio"
              aria-checked={group.op === op}
              // One tab stop for the pair; the arrow keys switch between ALL and ANY (the radio group pattern).
              tabIndex={group.op === op ? 0 : -1}
              className={cn("rounded px-2.5 py-1 text-xs font-semibold", group.op === op ? "bg-white text-slate-900 shadow-xs" : "text-slate-500 hover:text-slate-700")}
              onClick={() => ctx.update(path, { ...group, op }, `${group.id}:op`)}
              onKeyDown={(e) => {
                if (!["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].includes(e.key)) return;
                e.preventDefault();
                const next = group.op === "and" ? "or" : "and";
                ctx.update(path, { ...group, op: next }, `${group.id}:op`);
                const radios = e.currentTarget.parentElement?.querySelectorAll<HTMLButtonElement>("[role=radio]");
                radios?.[next === "and" ? 0 : 1]?.focus();
              }}
            >
              {op === "and" ? "ALL" : "ANY"}
            </button>
          ))}
        </div>
        <span className="text-sm text-slate-700">of these</span>
        <label className="ml-2 inline-flex items-center gap-1.5 text-sm text-slate-600">
          <input type="checkbox" className="size-4 rounded border-slate-300 text-brand-600" checked={group.not === true} onChange={(e) => ctx.update(path, { ...group, not: e.target.checked || undefined }, `${group.id}:not`)} />
          Exclude {isRoot ? "them (NOT)" : "people who match (NOT)"}
        </label>
        {!isRoot && (
          <div className="ml-auto">
            <NodeActions path={path} siblings={siblings} ctx={ctx} label={label} />
          </div>
        )}
      </div>
      {errors.length > 0 && (
        <p role="alert" className="text-xs font-medium text-red-600">
          {errors.map((e) => e.message).join("; ")}
        </p>
      )}
      {group.children.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 px-3 py-4 text-center text-sm text-slate-500">
          {isRoot ? "No conditions yet: this segment is everyone. Add a condition to narrow it down." : "An empty group. Add conditions to it, or remove it."}
        </p>
      ) : (
        <ol className="flex flex-col gap-0" aria-label={`Conditions of the ${label}`}>
          {group.children.map((child, i) => {
            const childPath = [...path, i];
            return (
              <Fragment key={child.id ?? i}>
                {i > 0 && (
                  <li aria-hidden="true" className="relative flex h-7 items-center pl-5">
                    <span className="absolute top-0 bottom-0 left-[21px] w-px bg-slate-300" />
                    <span className={cn("relative rounded-full px-2 py-0.5 text-[11px] font-bold tracking-wide", group.op === "and" ? "bg-brand-100 text-brand-700" : "bg-amber-100 text-amber-800")}>
                      {connector}
                    </span>
                  </li>
                )}
                {child.type === "group" ? (
                  <li className="list-none">
                    <GroupEditor group={child} path={childPath} ctx={ctx} siblings={group.children.length} />
                  </li>
                ) : (
                  <ConditionRow node={child} path={childPath} siblings={group.children.length} ctx={ctx} count={isRoot ? ctx.counts?.[i] : undefined} />
                )}
              </Fragment>
            );
          })}
        </ol>
      )}
      <AddMenu groupPath={path} ctx={ctx} />
    </>
  );
  if (isRoot) return <div className="flex flex-col gap-3">{body}</div>;
  return (
    <div
      {...drop.props}
      className={cn(
        "group/node flex flex-col gap-3 rounded-xl border-l-4 px-4 py-3",
        group.not ? "border-red-300 bg-red-50/40" : group.op === "and" ? "border-brand-300 bg-brand-50/40" : "border-amber-300 bg-amber-50/40",
        drop.over && "ring-2 ring-brand-400",
      )}
      data-testid="group"
      aria-label={label}
      role="group"
    >
      {body}
    </div>
  );
}

/** The list of other segments, for "member of a segment" conditions. */
export function useSegmentChoices() {
  const trpc = useTRPC();
  const list = useQuery(trpc.segments.list.queryOptions({ limit: 100, stats: false }));
  return useMemo(() => list.data?.items.map((s) => ({ id: s.id, name: s.name })) ?? [], [list.data]);
}
