"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Inbox, X } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { formatBytes, formatCount, formatDateTime, relativeTime } from "@/lib/format";
import { LIVE, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { EmptyState } from "../ui/empty-state";
import { QueryError } from "../ui/query-error";

/** Headers worth seeing at a glance; the rest are under "Headers". */
const KEY_HEADERS = ["Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post", "Reply-To"];

/**
 * Messages → Demo inbox (demo mode only): every email the local catcher caught, newest first;
 * one opens rendered, with its text part and headers. Nothing here ever left the machine.
 */
export function DemoInbox() {
  const trpc = useTRPC();
  const [open, setOpen] = useState<string | null>(null);
  const list = useInfiniteQuery(trpc.demoInbox.list.infiniteQueryOptions({ limit: 50 }, { getNextPageParam: (page) => page.nextCursor, ...LIVE }));
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const total = list.data?.pages[0]?.total ?? 0;

  return (
    <div className="grid items-start gap-6 xl:grid-cols-[minmax(0,1fr)_30rem]">
      <div className="min-w-0">
        <p className="mb-4 text-sm text-slate-600">
          Demo mode catches every email Junction sends on this machine instead of delivering it: the channel{" "}
          <Link href="/settings/channels" className="font-medium text-brand-700 hover:underline">
            Demo inbox (local)
          </Link>{" "}
          sends here. The latest 500 are kept.
        </p>
        {list.isError ? (
          <QueryError error={list.error} what="the demo inbox" onRetry={() => void list.refetch()} retrying={list.isRefetching} />
        ) : list.isSuccess && rows.length === 0 ? (
          <EmptyState
            icon={Inbox}
            title="No email caught yet"
            description="Send a test from a template (open one, choose a person, Send test) or from Settings → Channels, and it appears here within seconds, as the recipient would see it."
          >
            <Link href="/messages" className="inline-flex h-9 items-center rounded-md bg-brand-600 px-3.5 text-sm font-medium text-white shadow-sm hover:bg-brand-700">
              Open the templates
            </Link>
          </EmptyState>
        ) : (
          <Card>
            <table className="w-full table-fixed text-left text-sm" data-testid="inbox-table">
              <thead className="border-b border-slate-100 text-xs text-slate-500">
                <tr>
                  <th scope="col" className="w-28 px-4 py-2.5 font-medium">When</th>
                  <th scope="col" className="px-4 py-2.5 font-medium">From</th>
                  <th scope="col" className="px-4 py-2.5 font-medium">To</th>
                  <th scope="col" className="px-4 py-2.5 font-medium">Subject</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {list.isPending &&
                  Array.from({ length: 4 }, (_, i) => (
                    <tr key={i}>
                      <td colSpan={4} className="px-4 py-3">
                        <div className="h-5 animate-pulse rounded bg-slate-100" />
                      </td>
                    </tr>
                  ))}
                {rows.map((m) => (
                  <tr key={m.id} className={open === m.id ? "bg-brand-50/50" : "hover:bg-slate-50"}>
                    <td className="px-4 py-2.5 whitespace-nowrap text-slate-600" title={formatDateTime(m.receivedAt)}>
                      {relativeTime(m.receivedAt)}
                    </td>
                    <td className="truncate px-4 py-2.5 text-slate-700" title={m.from}>
                      {m.from || "—"}
                    </td>
                    <td className="truncate px-4 py-2.5 text-slate-700" title={m.to}>
                      {m.to || "—"}
                    </td>
                    <td className="truncate px-4 py-2.5">
                      <button
                        type="button"
                        className="max-w-full truncate text-left font-medium text-slate-900 hover:underline focus:underline focus:outline-none"
                        onClick={() => setOpen(m.id)}
                        aria-label={`Open the email “${m.subject ?? "(no subject)"}” to ${m.to}`}
                      >
                        {m.subject || "(no subject)"}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="flex items-center justify-between border-t border-slate-100 px-4 py-3 text-sm text-slate-500">
              <span>{list.isPending ? "Loading…" : `${formatCount(rows.length)} of ${formatCount(total)} shown`}</span>
              {list.hasNextPage && (
                <Button variant="secondary" size="sm" loading={list.isFetchingNextPage} onClick={() => list.fetchNextPage()}>
                  Load more
                </Button>
              )}
            </div>
          </Card>
        )}
      </div>
      {open ? <CaughtEmail id={open} onClose={() => setOpen(null)} /> : <div className="hidden xl:block" />}
    </div>
  );
}

type View = "html" | "text" | "headers";

function CaughtEmail({ id, onClose }: { id: string; onClose: () => void }) {
  const trpc = useTRPC();
  const mail = useQuery(trpc.demoInbox.get.queryOptions({ id }));
  const [chosen, setView] = useState<View | null>(null);
  const m = mail.data;
  // The HTML when there is some, else the text.
  const view: View = chosen ?? (m && m.html === null ? "text" : "html");
  const keyHeaders = m ? KEY_HEADERS.flatMap((name) => m.headers.filter((h) => h.name.toLowerCase() === name.toLowerCase())) : [];
  return (
    <Card className="xl:sticky xl:top-6">
      <CardHeader
        title={m ? m.subject || "(no subject)" : "Email"}
        description={m ? `Caught ${formatDateTime(m.receivedAt)} · ${formatBytes(m.size)}` : "Loading…"}
        actions={
          <button type="button" onClick={onClose} className="rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-700" aria-label="Close the email">
            <X className="size-4" aria-hidden="true" />
          </button>
        }
      />
      <CardBody className="space-y-4 text-sm">
        {mail.isError ? (
          <p role="alert" className="text-red-700">
            {mail.error.message}
          </p>
        ) : !m ? (
          <div className="h-40 animate-pulse rounded bg-slate-100" />
        ) : (
          <>
            <dl className="grid grid-cols-[8.5rem_1fr] gap-x-3 gap-y-1.5" data-testid="inbox-detail">
              <dt className="text-slate-500">From</dt>
              <dd className="break-all text-slate-900">{m.from || "—"}</dd>
              <dt className="text-slate-500">To</dt>
              <dd className="break-all text-slate-900">{m.to || "—"}</dd>
              {m.date && (
                <>
                  <dt className="text-slate-500">Date</dt>
                  <dd className="text-slate-900">{formatDateTime(m.date)}</dd>
                </>
              )}
              {keyHeaders.map((h, i) => (
                <div key={`${h.name}-${i}`} className="contents">
                  <dt className="text-slate-500">{h.name}</dt>
                  <dd className="break-all text-slate-700">
                    <code className="text-xs">{h.value}</code>
                  </dd>
                </div>
              ))}
              {m.attachments.length > 0 && (
                <>
                  <dt className="text-slate-500">Attachments</dt>
                  <dd className="flex flex-wrap gap-1.5">
                    {m.attachments.map((a, i) => (
                      <Badge key={i}>
                        {a.filename ?? a.contentType} · {formatBytes(a.size)}
                      </Badge>
                    ))}
                  </dd>
                </>
              )}
            </dl>
            <div role="group" aria-label="Show" className="inline-flex rounded-md ring-1 ring-slate-200">
              {(["html", "text", "headers"] as const).map((v) => (
                <button
                  key={v}
                  type="button"
                  aria-pressed={view === v}
                  onClick={() => setView(v)}
                  className={cn("px-3 py-1.5 text-[13px] font-medium first:rounded-l-md last:rounded-r-md", view === v ? "bg-brand-50 text-brand-700" : "text-slate-600 hover:bg-slate-50")}
                >
                  {v === "html" ? "HTML" : v === "text" ? "Text" : "Headers"}
                </button>
              ))}
            </div>
            {view === "html" &&
              (m.html === null ? (
                <p className="text-slate-500">This email has no HTML part.</p>
              ) : (
                // No scripts, no same origin, no forms: the email is looked at, never run.
                <iframe title="The email as caught" sandbox="" srcDoc={m.html} className="h-[28rem] w-full rounded-lg border border-slate-200 bg-white" />
              ))}
            {view === "text" &&
              (m.text === null ? (
                <p className="text-slate-500">This email has no text part.</p>
              ) : (
                <pre data-testid="inbox-text" className="max-h-[28rem] overflow-auto rounded-lg border border-slate-200 bg-slate-50 p-3 font-sans text-[13px] whitespace-pre-wrap text-slate-800">
                  {m.text}
                </pre>
              ))}
            {view === "headers" && (
              <table className="w-full table-fixed text-left text-xs" data-testid="inbox-headers">
                <tbody className="divide-y divide-slate-100">
                  {m.headers.map((h, i) => (
                    <tr key={i}>
                      <th scope="row" className="w-40 py-1.5 pr-3 align-top font-medium text-slate-500">
                        {h.name}
                      </th>
                      <td className="py-1.5 break-all text-slate-800">{h.value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </CardBody>
    </Card>
  );
}
