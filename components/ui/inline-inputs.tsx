"use client";

import { useState } from "react";
import { cn } from "./cn";
import { Input, Select } from "./field";

/**
 * Small labelled controls for editors laid out in a row (the condition editors): the compact
 * `Input` / `Select`, named by `aria-label` instead of a visible label, the error in the tooltip.
 */

export function TextInput({
  label,
  value,
  onChange,
  error,
  list,
  className,
  placeholder,
  type = "text",
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
  list?: string;
  className?: string;
  placeholder?: string;
  type?: "text" | "number" | "date";
}) {
  return (
    <Input
      compact
      type={type}
      aria-label={label}
      title={error ? `${label}: ${error}` : label}
      invalid={Boolean(error)}
      className={cn("w-36", className)}
      value={value}
      list={list}
      placeholder={placeholder}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

/** A number; an empty field is NaN (the editing model reports it as required). */
export function NumberInput({ label, value, onChange, error, className }: { label: string; value: number; onChange: (v: number) => void; error?: string; className?: string }) {
  return (
    <TextInput
      type="number"
      label={label}
      value={Number.isNaN(value) ? "" : String(value)}
      onChange={(v) => onChange(v === "" ? Number.NaN : Number(v))}
      error={error}
      className={cn("w-20", className)}
    />
  );
}

export function SelectInput<T extends string>({ label, value, options, onChange, className }: { label: string; value: T; options: { value: T; label: string }[]; onChange: (v: T) => void; className?: string }) {
  return (
    <Select compact aria-label={label} className={className} value={value} onChange={(e) => onChange(e.target.value as T)}>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </Select>
  );
}

/** Comma-separated values, shown as text: "DE, AT, CH". */
export function ValuesInput({ label, values, onChange, error, numeric }: { label: string; values: (string | number)[]; onChange: (v: (string | number)[]) => void; error?: string; numeric?: boolean }) {
  const [text, setText] = useState(values.join(", "));
  return (
    <TextInput
      label={label}
      value={text}
      placeholder="a, b, c"
      error={error}
      className="w-48"
      onChange={(v) => {
        setText(v);
        const parts = v.split(",").map((s) => s.trim()).filter(Boolean);
        onChange(numeric ? parts.map(Number).filter((n) => !Number.isNaN(n)) : parts);
      }}
    />
  );
}
