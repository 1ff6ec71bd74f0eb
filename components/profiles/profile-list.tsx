"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { FileUp, Search, Users } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { relativeTime } from "@/lib/format";
import { useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { QueryError } from "../ui/query-error";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { Input } from "../ui/field";
import { PageHeader } from "../ui/page-header";
import { useDebounced } from "../ui/use-debounced";
import { CsvImport } from "./csv-import";
import { can } from "@/lib/auth/roles";
import { personLabel } from "@/lib/profiles/display";

const SHOWN_TRAITS = ["plan", "goal", "city"];

export function ProfileList() {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const term = useDebounced(search.trim(), 300);
  const profiles = useInfiniteQuery(
    trpc.profiles.list.infiniteQueryOptions({ search: term || undefined, limit: 25 }, { getNextPageParam: (page) => page.nextCursor }),
  );
  const rows = profiles.data?.pages.flatMap((p) => p.profiles) ?? [];
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const canImport = can(workspace.data?.role, "profiles.import");
  const [importing, setImporting] = useState(false);

  return (
    <>
      <PageHeader
        title="Profiles"
        description="Everyone Junction knows about: traits, identities and their event history."
        actions={
          canImport &&
          !importing && (
            <Button variant="secondary" onClick={() => setImporting(true)}>
              <FileUp className="size-4" aria-hidden="true" /> Import CSV
            </Button>
          )
        }
      />
      {importing && <CsvImport onClose={() => setImporting(false)} />}
      <div className="relative mb-4 max-w-md">
        <Search className="pointer-events-none absolute top-2.5 left-3 size-4 text-slate-400" aria-hidden="true" />
        <Input
          type="search"
          aria-label="Search profiles"
          placeholder="Search by id, email or any trait value"
          className="pl-9"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      {profiles.isError ? (
        <QueryError error={profiles.error} what="profiles" onRetry={() => void profiles.refetch()} retrying={profiles.isRefetching} />
      ) : profiles.isSuccess && rows.length === 0 ? (
        term ? (
          <EmptyState icon={Search} title={`No profiles match “${term}”`} description="Try a user id, an email address or a trait value such as a city." />
        ) : (
          <EmptyState
            icon={Users}
            title="No profiles yet"
            description="Profiles appear as soon as your apps send identify or track calls with a write key (Settings → API keys)."
          />
        )
      ) : (
        <Card>
          <table className="w-full text-left text-sm" data-testid="profiles-table">
            <thead className="border-b border-slate-100 text-xs text-slate-500">
              <tr>
                <th scope="col" className="px-5 py-2.5 font-medium">Person</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Country</th>
                {SHOWN_TRAITS.map((t) => (
                  <th key={t} scope="col" className="px-5 py-2.5 font-medium capitalize">{t}</th>
                ))}
                <th scope="col" className="px-5 py-2.5 text-right font-medium">Last seen</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {profiles.isPending &&
                Array.from({ length: 6 }, (_, i) => (
                  <tr key={i}>
                    <td colSpan={6} className="px-5 py-3">
                      <div className="h-5 animate-pulse rounded bg-slate-100" />
                    </td>
                  </tr>
                ))}
              {rows.map((p) => {
                const traits = (p.traits ?? {}) as Record<string, unknown>;
                const label = personLabel({ traits, email: p.email, userId: p.userId });
                return (
                  <tr key={p.id} className="hover:bg-slate-50">
                    <td className="max-w-80 px-5 py-2.5">
                      <Link href={`/profiles/${p.id}`} className="block truncate font-medium text-brand-700 hover:underline">
                        {label.anonymous ? <span className="text-slate-500 italic">{label.primary}</span> : label.primary}
                      </Link>
                      <p className="truncate text-xs text-slate-500">
                        {label.secondary ?? (label.anonymous ? <span className="font-mono">{p.identities[0]?.value ?? "—"}</span> : "—")}
                      </p>
                    </td>
                    <td className="px-5 py-2.5 text-slate-600">{p.country ?? "—"}</td>
                    {SHOWN_TRAITS.map((t) => (
                      <td key={t} className="max-w-40 truncate px-5 py-2.5 text-slate-600">{traits[t] === undefined ? "—" : String(traits[t])}</td>
                    ))}
                    <td className="px-5 py-2.5 text-right whitespace-nowrap text-slate-500">{relativeTime(p.lastSeenAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div className="flex items-center justify-between border-t border-slate-100 px-5 py-3 text-sm text-slate-500">
            <span>{rows.length} shown{term ? ` for “${term}”` : ""}</span>
            {profiles.hasNextPage && (
              <Button variant="secondary" size="sm" loading={profiles.isFetchingNextPage} onClick={() => profiles.fetchNextPage()}>
                Load more
              </Button>
            )}
          </div>
        </Card>
      )}
    </>
  );
}
