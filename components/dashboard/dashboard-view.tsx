"use client";

import { useQuery } from "@tanstack/react-query";
import { Activity, ArrowRight, CheckCircle2, Circle, Route, UserPlus, UsersRound } from "lucide-react";
import Link from "next/link";
import { can, ROLE_DESCRIPTIONS, ROLE_LABELS } from "@/lib/auth/roles";
import { formatCount, formatCountOf, greeting, humanizeAction, relativeTime } from "@/lib/format";
import { LIVE, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Card, CardBody, CardHeader } from "../ui/card";
import { PageHeader } from "../ui/page-header";

export function DashboardView({ firstName }: { firstName: string }) {
  const trpc = useTRPC();
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const role = workspace.data?.role;
  const canReadAudit = can(role, "audit.read");
  const activity = useQuery({ ...trpc.audit.list.queryOptions({ limit: 6 }), enabled: canReadAudit });
  const stats = useQuery({ ...trpc.workspace.stats.queryOptions(), ...LIVE });

  const steps = [
    {
      done: (workspace.data?.counts.members ?? 0) > 1,
      title: "Invite your team",
      text: "Marketers build segments and journeys; viewers look on.",
      href: "/settings/members",
      icon: UserPlus,
    },
    {
      done: workspace.data?.hasEvents ?? false,
      title: "Send your first events",
      text: "Point analytics.js or @segment/analytics-node at Junction.",
      href: "/settings/api-keys",
      icon: Activity,
    },
    {
      done: (stats.data?.segments.live ?? 0) > 0,
      title: "Build a segment",
      text: "Traits plus behaviour: “bought 3× in 30 days but inactive for 7”.",
      href: "/segments",
      icon: UsersRound,
    },
    {
      done: false,
      title: "Publish a micro journey",
      text: "Trigger, wait, branch, send — three to five steps, one goal.",
      href: "/journeys",
      icon: Route,
    },
  ];

  return (
    <>
      <PageHeader
        title={`${greeting(new Date().getHours())}${firstName ? `, ${firstName}` : ""}`}
        description={workspace.data ? `Here is where ${workspace.data.name} stands.` : "Loading your workspace…"}
      />
      <section aria-label="Your workspace in numbers" className="mb-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Stat href="/profiles" label="People" value={stats.data?.people} detail="profiles, known and anonymous" />
        <Stat href="/events" label="Events today" value={stats.data?.events.today} detail={stats.data ? `since midnight, ${stats.data.events.timeZone}` : undefined} />
        <Stat href="/events" label="Events this week" value={stats.data?.events.thisWeek} detail="since Monday" />
        <Stat href="/segments" label="Segments" value={stats.data?.segments.live} detail="live, kept current" />
      </section>
      <div className="grid gap-6 lg:grid-cols-3">
        <Card className="self-start lg:col-span-2">
          <CardHeader title="Get started" description="Four steps from an empty workspace to a running journey." />
          <ol className="divide-y divide-slate-100">
            {steps.map((step) => (
              <li key={step.title}>
                <Link href={step.href} className="group flex items-center gap-4 px-5 py-4 hover:bg-slate-50">
                  {step.done ? (
                    <CheckCircle2 className="size-5 shrink-0 text-emerald-500" aria-label="Done" />
                  ) : (
                    <Circle className="size-5 shrink-0 text-slate-300" aria-label="Not done yet" />
                  )}
                  <div className="min-w-0 flex-1">
                    <p className="text-sm font-medium text-slate-900">{step.title}</p>
                    <p className="text-sm text-slate-500">{step.text}</p>
                  </div>
                  <ArrowRight className="size-4 text-slate-300 transition-colors group-hover:text-brand-600" aria-hidden="true" />
                </Link>
              </li>
            ))}
          </ol>
        </Card>
        <div className="space-y-6">
          <Card>
            <CardHeader
              title="Largest segments"
              actions={
                <Link href="/segments" className="text-sm font-medium text-brand-600 hover:text-brand-700">
                  All segments
                </Link>
              }
            />
            <ul className="divide-y divide-slate-100" data-testid="largest-segments">
              {stats.isPending && <li className="px-5 py-4 text-sm text-slate-400">Loading…</li>}
              {stats.data?.segments.largest.length === 0 && (
                <li className="px-5 py-4 text-sm text-slate-500">
                  No segments yet. <Link href="/segments" className="font-medium text-brand-600 hover:text-brand-700">Build one</Link>
                </li>
              )}
              {stats.data?.segments.largest.map((s) => (
                <li key={s.id}>
                  <Link href={`/segments/${s.id}`} className="flex items-center justify-between gap-3 px-5 py-2.5 text-sm hover:bg-slate-50">
                    <span className="min-w-0 truncate font-medium text-brand-700" title={s.name}>{s.name}</span>
                    <span className="shrink-0 text-slate-600 tabular-nums">{formatCountOf(s.size, "member")}</span>
                  </Link>
                </li>
              ))}
            </ul>
          </Card>
          <Card>
            <CardHeader title="Your access" />
            <CardBody className="space-y-2">
              {role ? (
                <>
                  <Badge tone="brand">{ROLE_LABELS[role]}</Badge>
                  <p className="text-sm text-slate-500">{ROLE_DESCRIPTIONS[role]}</p>
                </>
              ) : (
                <div className="h-12 animate-pulse rounded bg-slate-100" />
              )}
            </CardBody>
          </Card>
          {canReadAudit && (
            <Card>
              <CardHeader
                title="Recent activity"
                actions={
                  <Link href="/settings/audit" className="text-sm font-medium text-brand-600 hover:text-brand-700">
                    View all
                  </Link>
                }
              />
              <ul className="divide-y divide-slate-100">
                {activity.isPending && <li className="px-5 py-4 text-sm text-slate-400">Loading…</li>}
                {activity.data?.entries.length === 0 && <li className="px-5 py-4 text-sm text-slate-500">Nothing has happened yet.</li>}
                {activity.data?.entries.map((entry) => (
                  <li key={entry.id} className="px-5 py-3">
                    <p className="truncate text-sm text-slate-800" title={entry.target.label}>
                      {humanizeAction(entry.action)}
                      {entry.target.type !== "workspace" && <span className="text-slate-500"> · {entry.target.label}</span>}
                    </p>
                    <p className="text-xs text-slate-500">
                      {entry.actorLabel} · {relativeTime(entry.createdAt)}
                    </p>
                  </li>
                ))}
              </ul>
            </Card>
          )}
        </div>
      </div>
    </>
  );
}

/** One number of the workspace, linking to where it comes from. */
function Stat({ href, label, value, detail }: { href: string; label: string; value: number | undefined; detail?: string }) {
  return (
    <Link href={href} className="group rounded-xl border border-slate-200 bg-white px-5 py-4 shadow-xs hover:border-brand-300" data-testid={`stat-${label.toLowerCase().replace(/ /g, "-")}`}>
      <p className="text-xs font-medium tracking-wide text-slate-500 uppercase">{label}</p>
      {value === undefined ? (
        <div className="mt-2 h-8 w-24 animate-pulse rounded bg-slate-100" />
      ) : (
        <p className="mt-1 text-3xl font-semibold tracking-tight text-slate-900 tabular-nums group-hover:text-brand-700">{formatCount(value)}</p>
      )}
      {detail && <p className="mt-0.5 truncate text-xs text-slate-500">{detail}</p>}
    </Link>
  );
}
