"use client";

import { useQuery } from "@tanstack/react-query";
import { UserRound, X } from "lucide-react";
import { useId, useState } from "react";
import { personLabel } from "@/lib/profiles/display";
import { useTRPC } from "../trpc/client";
import { Input } from "../ui/field";
import { useDebounced } from "../ui/use-debounced";

/** A chosen person, as the picker shows them. */
export interface PickedPerson {
  id: string;
  userId: string | null;
  email: string | null;
  name: string | null;
}

/**
 * Search people by id, email or a trait and choose one: to preview a message for, to
 * test-send to, to walk through a journey. `clearLabel` says what clearing the choice means.
 */
export function PersonPicker({ person, onChange, clearLabel = "Use the example person instead" }: { person: PickedPerson | null; onChange: (p: PickedPerson | null) => void; clearLabel?: string }) {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [open, setOpen] = useState(false);
  const term = useDebounced(search.trim(), 250);
  const inputId = useId();
  const listId = useId();
  const results = useQuery({ ...trpc.profiles.list.queryOptions({ search: term || undefined, limit: 6 }), enabled: open });
  if (person) {
    const label = personLabel(person);
    return (
      <div className="space-y-1.5">
        <span className="block text-sm font-medium text-slate-800">Person</span>
        <div className="flex h-9 items-center gap-2 rounded-md bg-slate-50 px-3 text-sm ring-1 ring-slate-200 ring-inset" data-testid="preview-person">
          <UserRound className="size-4 shrink-0 text-slate-400" aria-hidden="true" />
          <span className="min-w-0 flex-1 truncate">
            <span className="font-medium text-slate-900">{label.primary}</span>
            {label.secondary && <span className="text-slate-500"> · {label.secondary}</span>}
          </span>
          <button type="button" className="rounded p-0.5 text-slate-400 hover:bg-slate-200 hover:text-slate-700" aria-label={clearLabel} onClick={() => onChange(null)}>
            <X className="size-4" aria-hidden="true" />
          </button>
        </div>
      </div>
    );
  }
  const rows = results.data?.profiles ?? [];
  return (
    <div className="relative space-y-1.5">
      <label htmlFor={inputId} className="block text-sm font-medium text-slate-800">
        Person
      </label>
      <Input
        id={inputId}
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        placeholder="Search by id, email or name"
        value={search}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onChange={(e) => (setSearch(e.target.value), setOpen(true))}
      />
      {open && (
        <ul id={listId} role="listbox" className="absolute z-20 mt-1 max-h-64 w-full overflow-auto rounded-md bg-white py-1 text-sm shadow-lg ring-1 ring-slate-200">
          {results.isPending || search.trim() !== term ? (
            // Until the search catches up with the typing: no stale names to click.
            <li className="px-3 py-2 text-slate-500">Searching…</li>
          ) : rows.length === 0 ? (
            <li className="px-3 py-2 text-slate-500">{term ? `Nobody matches “${term}”` : "No people yet"}</li>
          ) : (
            rows.map((p) => {
              const summary = { id: p.id, userId: p.userId, email: p.email, name: personLabel(p).anonymous ? null : personLabel(p).primary };
              const label = personLabel(p);
              return (
                <li key={p.id} role="option" aria-selected={false}>
                  <button
                    type="button"
                    className="block w-full px-3 py-1.5 text-left hover:bg-brand-50 focus:bg-brand-50 focus:outline-none"
                    onMouseDown={(e) => e.preventDefault()}
                    onClick={() => {
                      onChange(summary);
                      setSearch("");
                      setOpen(false);
                    }}
                  >
                    <span className="font-medium text-slate-900">{label.primary}</span>
                    {label.secondary && <span className="text-slate-500"> · {label.secondary}</span>}
                  </button>
                </li>
              );
            })
          )}
        </ul>
      )}
    </div>
  );
}
