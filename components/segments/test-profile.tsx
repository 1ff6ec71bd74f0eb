"use client";

import { useQuery } from "@tanstack/react-query";
import { Search, X } from "lucide-react";
import Link from "next/link";
import { useId, useState } from "react";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { useTRPC } from "../trpc/client";
import { Button, Spinner } from "../ui/button";
import { Card } from "../ui/card";
import { useDebounced } from "../ui/use-debounced";
import { Explanation } from "./explanation";
import { personLabel } from "@/lib/profiles/display";

/** "Test a profile": pick anyone and see, live, which conditions hold for them and what was seen. */
export function TestProfile({ definition, segmentName }: { definition: SegmentDefinition | null; segmentName: (id: string) => string }) {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [picked, setPicked] = useState<{ id: string; label: string } | null>(null);
  const term = useDebounced(search.trim(), 250);
  const listId = useId();
  const candidates = useQuery({ ...trpc.profiles.list.queryOptions({ search: term, limit: 6 }), enabled: !picked && term.length > 0 });
  const explained = useQuery({
    ...trpc.segments.explain.queryOptions({ profileId: picked?.id ?? "", definition: definition! }),
    // No placeholder: an older trace belongs to an older shape of the definition.
    enabled: picked !== null && definition !== null,
  });

  return (
    <Card>
      <div className="border-b border-slate-100 px-5 py-3">
        <h2 className="text-sm font-semibold text-slate-900">Test a profile</h2>
      </div>
      <div className="px-5 py-3">
        {!picked ? (
          <>
            <div className="relative">
              <Search className="pointer-events-none absolute top-2 left-2.5 size-4 text-slate-400" aria-hidden="true" />
              <input
                type="search"
                aria-label="Find a profile to test"
                aria-controls={listId}
                placeholder="User id, email or trait value"
                className="h-8 w-full rounded-md border-0 bg-white pr-2 pl-8 text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-brand-500 focus:outline-none"
                value={search}
                onChange={(e) => setSearch(e.target.value)}
              />
            </div>
            {term && (
              <ul id={listId} className="mt-2 divide-y divide-slate-100 text-sm" aria-label="Matching profiles">
                {candidates.isFetching && !candidates.data && (
                  <li className="py-2 text-slate-500">
                    <Spinner className="inline size-3.5" /> Searching…
                  </li>
                )}
                {candidates.data?.profiles.length === 0 && <li className="py-2 text-slate-500">No profile matches “{term}”.</li>}
                {candidates.data?.profiles.map((p) => (
                  <li key={p.id}>
                    <button
                      type="button"
                      className="w-full truncate py-1.5 text-left text-brand-700 hover:underline"
                      onClick={() => setPicked({ id: p.id, label: personLabel(p).primary })}
                    >
                      {personLabel(p).primary} <span className="text-slate-500">{personLabel(p).secondary ?? ""}</span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </>
        ) : (
          <>
            <div className="flex items-center justify-between gap-2">
              <Link href={`/profiles/${picked.id}`} className="truncate text-sm font-medium text-brand-700 hover:underline">
                {picked.label}
              </Link>
              <Button variant="ghost" size="sm" aria-label="Test another profile" onClick={() => setPicked(null)}>
                <X className="size-3.5" aria-hidden="true" />
              </Button>
            </div>
            {!definition ? (
              <p className="mt-2 text-sm text-slate-500">Finish the conditions to test them.</p>
            ) : explained.data ? (
              <div className="mt-2" data-testid="test-profile">
                <p className={`mb-2 text-sm font-semibold ${explained.data.match ? "text-emerald-700" : "text-slate-700"}`}>
                  {explained.data.match ? "✓ In this segment" : "✗ Not in this segment"}
                </p>
                <Explanation node={definition.root} trace={explained.data.trace} segmentName={segmentName} />
              </div>
            ) : explained.isError ? (
              <p className="mt-2 text-sm text-red-600">{explained.error.message}</p>
            ) : (
              <div className="mt-2 h-16 animate-pulse rounded bg-slate-100" />
            )}
          </>
        )}
      </div>
    </Card>
  );
}
