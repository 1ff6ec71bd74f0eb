"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, ChevronRight, Download, History, Trash2 } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { toast } from "sonner";
import { formatCountOf, formatDateTime, formatValue, relativeTime } from "@/lib/format";
import { errorMessage, useTRPC } from "../trpc/client";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { ProfileJourneys } from "../journeys/profile-journeys";
import { ProfileSegments } from "../segments/profile-segments";
import { ProfileConsent } from "./profile-consent";
import { ProfileDevices } from "./profile-devices";
import { Card, CardBody, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { EmptyState } from "../ui/empty-state";
import { Field, Select } from "../ui/field";
import { can } from "@/lib/auth/roles";
import { personLabel, personName } from "@/lib/profiles/display";
import { DeliveryList } from "../messages/delivery-list";

const TYPE_TONE = { track: "brand", identify: "green", page: "slate", screen: "slate", group: "amber", alias: "amber" } as const;

export function ProfileView({ id }: { id: string }) {
  const trpc = useTRPC();
  const profile = useQuery(trpc.profiles.get.queryOptions({ id }));
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const isAdmin = can(workspace.data?.role, "profiles.privacy");

  if (profile.isError) {
    return (
      <EmptyState icon={History} title="Profile not found" description={profile.error.message}>
        <Link href="/profiles" className="text-sm font-medium text-brand-600 hover:text-brand-700">Back to profiles →</Link>
      </EmptyState>
    );
  }
  const p = profile.data;
  const traits = Object.entries((p?.traits ?? {}) as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));

  return (
    <>
      <Link href="/profiles" className="mb-4 inline-flex items-center gap-1 text-sm text-slate-500 hover:text-slate-800">
        <ArrowLeft className="size-4" aria-hidden="true" /> Profiles
      </Link>
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">
          {p ? personLabel(p).primary : <span className="inline-block h-7 w-64 animate-pulse rounded bg-slate-100" />}
        </h1>
        {p && (
          <p className="mt-1 text-sm text-slate-500">
            {[personName(p.traits) ? p.email : null, p.userId].filter(Boolean).join(" · ") || "No email or user id"} · first seen {relativeTime(p.firstSeenAt)} · last seen {relativeTime(p.lastSeenAt)} · {formatCountOf(p.eventCount, "event")}
          </p>
        )}
        </div>
        {isAdmin && p && <PrivacyActions id={id} label={personLabel(p).anonymous ? "this anonymous visitor" : personLabel(p).primary} />}
      </div>
      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6">
          <Card>
            <CardHeader title="Overview" />
            <CardBody>
              <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
                {(
                  [
                    ["Email", p?.email],
                    ["Phone", p?.phone],
                    ["Country", p?.country],
                    ["Time zone", p?.timezone],
                    ["Locale", p?.locale],
                    ["First seen", p && formatDateTime(p.firstSeenAt)],
                    ["Last seen", p && formatDateTime(p.lastSeenAt)],
                    ["Bucket", p?.bucket],
                  ] as const
                ).map(([label, value]) => (
                  <div key={label} className="contents">
                    <dt className="text-slate-500">{label}</dt>
                    <dd className="truncate text-slate-900">{formatValue(value)}</dd>
                  </div>
                ))}
              </dl>
            </CardBody>
          </Card>
          <Card>
            <CardHeader title="Traits" description={p ? `${traits.length} traits` : undefined} />
            <CardBody>
              {traits.length === 0 ? (
                <p className="text-sm text-slate-500">No traits yet. identify calls set them.</p>
              ) : (
                <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm" data-testid="traits">
                  {traits.map(([key, value]) => (
                    <div key={key} className="contents">
                      <dt className="font-mono text-xs leading-5 text-slate-500">{key}</dt>
                      <dd className="truncate text-slate-900" title={formatValue(value)}>{formatValue(value)}</dd>
                    </div>
                  ))}
                </dl>
              )}
            </CardBody>
          </Card>
          <Card>
            <CardHeader title="Identities" description="Every id this person is known by." />
            <ul className="divide-y divide-slate-100 text-sm" data-testid="identities">
              {p?.identities.map((identity) => (
                <li key={`${identity.kind}:${identity.value}`} className="flex items-center justify-between gap-3 px-5 py-2.5">
                  <span className="truncate font-mono text-xs text-slate-800">{identity.value}</span>
                  <Badge tone={identity.kind === "user_id" ? "brand" : "slate"}>{identity.kind === "user_id" ? "user id" : "anonymous id"}</Badge>
                </li>
              ))}
            </ul>
          </Card>
        </div>
        <div className="lg:col-span-2">
          <ProfileTabs id={id} canChangeConsent={can(workspace.data?.role, "consent.change")} />
        </div>
      </div>
    </>
  );
}

/** Timeline | Segments | Journeys | Messages | Consent | Devices, as tabs (arrow keys move between them). */
function ProfileTabs({ id, canChangeConsent }: { id: string; canChangeConsent: boolean }) {
  const [tab, setTab] = useState<"timeline" | "segments" | "journeys" | "messages" | "consent" | "devices">("timeline");
  const tabs = [
    { key: "timeline", label: "Timeline" },
    { key: "segments", label: "Segments" },
    { key: "journeys", label: "Journeys" },
    { key: "messages", label: "Messages" },
    { key: "consent", label: "Consent" },
    { key: "devices", label: "Devices" },
  ] as const;
  return (
    <>
      <div role="tablist" aria-label="Profile sections" className="mb-4 flex gap-1 border-b border-slate-200">
        {tabs.map((t, i) => (
          <button
            key={t.key}
            id={`tab-${t.key}`}
            type="button"
            role="tab"
            aria-selected={tab === t.key}
            aria-controls={`panel-${t.key}`}
            tabIndex={tab === t.key ? 0 : -1}
            onClick={() => setTab(t.key)}
            onKeyDown={(e) => {
              if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
              const next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length]!;
              setTab(next.key);
              document.getElementById(`tab-${next.key}`)?.focus();
            }}
            className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium ${tab === t.key ? "border-brand-600 text-brand-700" : "border-transparent text-slate-500 hover:text-slate-700"}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === "timeline" ? (
          <Timeline profileId={id} />
        ) : tab === "segments" ? (
          <ProfileSegments profileId={id} />
        ) : tab === "journeys" ? (
          <ProfileJourneys profileId={id} />
        ) : tab === "messages" ? (
          <DeliveryList profileId={id} />
        ) : tab === "consent" ? (
          <ProfileConsent profileId={id} canChange={canChangeConsent} />
        ) : (
          <ProfileDevices profileId={id} />
        )}
      </div>
    </>
  );
}

function Timeline({ profileId }: { profileId: string }) {
  const trpc = useTRPC();
  const [name, setName] = useState("");
  const [open, setOpen] = useState<Set<string>>(new Set());
  const names = useQuery(trpc.profiles.eventNames.queryOptions({ profileId }));
  const events = useInfiniteQuery(
    trpc.profiles.events.infiniteQueryOptions({ profileId, name: name || null, limit: 30 }, { getNextPageParam: (page) => page.nextCursor }),
  );
  const rows = events.data?.pages.flatMap((p) => p.events) ?? [];
  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = events;

  // Infinite scroll: load the next page when the end of the list comes into view.
  useEffect(() => {
    const node = sentinel.current;
    if (!node || !hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const toggle = (key: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  return (
    <Card>
      <CardHeader
        title="Timeline"
        description="Newest first. Click an event to see its properties."
        actions={
          <Field label="Event" className="w-60">
            {(props) => (
              <Select {...props} value={name} onChange={(e) => setName(e.target.value)}>
                <option value="">All events</option>
                {names.data?.map((n) => (
                  <option key={n.name} value={n.name}>{`${n.name} (${n.count})`}</option>
                ))}
              </Select>
            )}
          </Field>
        }
      />
      <ol className="divide-y divide-slate-100" data-testid="timeline">
        {events.isPending && <li className="px-5 py-4 text-sm text-slate-400">Loading events…</li>}
        {events.isSuccess && rows.length === 0 && <li className="px-5 py-6 text-sm text-slate-500">No events{name ? ` named ${name}` : ""}.</li>}
        {rows.map((event) => {
          const expanded = open.has(event.id);
          const properties = Object.entries((event.properties ?? {}) as Record<string, unknown>);
          return (
            <li key={event.id}>
              <button
                type="button"
                aria-expanded={expanded}
                onClick={() => toggle(event.id)}
                className="flex w-full items-center gap-3 px-5 py-2.5 text-left hover:bg-slate-50"
              >
                <ChevronRight className={cn("size-4 shrink-0 text-slate-400 transition-transform", expanded && "rotate-90")} aria-hidden="true" />
                <Badge tone={TYPE_TONE[event.type as keyof typeof TYPE_TONE] ?? "slate"} className="w-16 justify-center">{event.type}</Badge>
                <span className="min-w-0 flex-1 truncate text-sm font-medium text-slate-900">{event.name ?? (event.type === "identify" ? "Traits updated" : event.type)}</span>
                <time className="shrink-0 text-xs text-slate-500" dateTime={event.timestamp.toISOString()} title={formatDateTime(event.timestamp)}>
                  {formatDateTime(event.timestamp)}
                </time>
              </button>
              {expanded && (
                <div className="px-12 pb-3">
                  {properties.length === 0 ? (
                    <p className="text-xs text-slate-500">No properties.</p>
                  ) : (
                    <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 rounded-md border border-slate-200 bg-slate-50 p-3 font-mono text-xs">
                      {properties.map(([key, value]) => (
                        <div key={key} className="contents">
                          <dt className="text-slate-500">{key}</dt>
                          <dd className="break-all text-slate-900">{formatValue(value)}</dd>
                        </div>
                      ))}
                    </dl>
                  )}
                </div>
              )}
            </li>
          );
        })}
      </ol>
      <div ref={sentinel} className="flex justify-center border-t border-slate-100 px-5 py-3">
        {hasNextPage ? (
          <Button variant="secondary" size="sm" loading={isFetchingNextPage} onClick={() => fetchNextPage()}>
            Load older events
          </Button>
        ) : (
          rows.length > 0 && <span className="text-xs text-slate-400">That is everything.</span>
        )}
      </div>
    </Card>
  );
}

/** GDPR: export everything about the person, or erase them (admins only; the server checks too). */
function PrivacyActions({ id, label }: { id: string; label: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [exporting, setExporting] = useState(false);

  // A POST from our own page (the server refuses it from anywhere else), saved as a file.
  async function exportData() {
    setExporting(true);
    try {
      const res = await fetch(`/api/profiles/${encodeURIComponent(id)}/export`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: string } | null;
        throw new Error(body?.error ?? `The export failed (HTTP ${res.status}).`);
      }
      const url = URL.createObjectURL(await res.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? "profile.json";
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      toast.success(`Exported everything about ${label}.`);
    } catch (error) {
      toast.error(error instanceof Error ? error.message : "The export failed.");
    } finally {
      setExporting(false);
    }
  }

  const remove = useMutation(
    trpc.profiles.delete.mutationOptions({
      onSuccess: async (result) => {
        toast.success(`Deleted ${label}: ${result.events} events and ${result.identities} ids. Later events for these ids are dropped.`);
        // Marked stale, not fetched again now: the open page would ask for the deleted person (a 404).
        await queryClient.invalidateQueries({ queryKey: trpc.profiles.pathKey(), refetchType: "none" });
        router.push("/profiles");
      },
      onError: (error) => {
        setConfirming(false);
        toast.error(errorMessage(error));
      },
    }),
  );
  return (
    <div className="flex gap-2">
      <Button variant="secondary" loading={exporting} onClick={() => void exportData()}>
        <Download className="size-4" aria-hidden="true" /> {exporting ? "Exporting…" : "Export data"}
      </Button>
      <Button variant="danger" onClick={() => setConfirming(true)}>
        <Trash2 className="size-4" aria-hidden="true" /> Delete person
      </Button>
      <ConfirmDialog
        open={confirming}
        title={`Delete ${label}?`}
        confirmLabel="Delete permanently"
        pending={remove.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={() => remove.mutate({ id })}
      >
        The profile, its traits, identities and every event are erased. Events that arrive later for any of its ids are dropped. This
        cannot be undone.
      </ConfirmDialog>
    </div>
  );
}
