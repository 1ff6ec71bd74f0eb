"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Inbox, RotateCw, X } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { toast } from "sonner";
import { can } from "@/lib/auth/roles";
import { formatCount, formatDateTime, relativeTime } from "@/lib/format";
import { CHANNEL_LABELS, MESSAGE_CHANNELS, type MessageChannel } from "@/lib/messages/schema";
import { personLabel } from "@/lib/profiles/display";
import { errorMessage, LIVE, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { Input, Select } from "../ui/field";
import { QueryError } from "../ui/query-error";
import { useDebounced } from "../ui/use-debounced";
import { ChannelBadge } from "./template-list";

const STATUSES = ["queued", "sending", "sent", "delivered", "bounced", "failed", "suppressed", "unknown"] as const;
type Status = (typeof STATUSES)[number];

const STATUS_TONES: Record<Status, "slate" | "brand" | "green" | "amber" | "red"> = {
  queued: "slate",
  sending: "brand",
  sent: "green",
  delivered: "green",
  bounced: "red",
  failed: "red",
  suppressed: "amber",
  unknown: "amber",
};

const PERIODS = { "": "Any time", "1": "Last 24 hours", "7": "Last 7 days", "30": "Last 30 days" } as const;

export function StatusBadge({ status }: { status: Status }) {
  return <Badge tone={STATUS_TONES[status]}>{status}</Badge>;
}

/** Journey sends that failed for good (the dead-letter list) or whose outcome is unknown can be queued again. */
const RETRYABLE: ReadonlySet<Status> = new Set(["failed", "unknown"]);

/** Retry a journey send: queued again, attempts from the start; a toast says how it went. */
function useRetry() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc.messages.retryDelivery.mutationOptions({
      onSuccess: async () => {
        toast.success("Queued again", { description: "It goes out in a moment; its status updates here." });
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.messages.deliveries.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.messages.delivery.pathKey() }),
        ]);
      },
      onError: (error) => toast.error("Could not retry", { description: errorMessage(error) }),
    }),
  );
}

function RetryButton({ id, retry }: { id: string; retry: ReturnType<typeof useRetry> }) {
  const pending = retry.isPending && retry.variables?.id === id;
  return (
    <Button
      variant="secondary"
      size="sm"
      loading={pending}
      disabled={retry.isPending}
      onClick={(e) => {
        e.stopPropagation();
        retry.mutate({ id });
      }}
    >
      {!pending && <RotateCw className="size-3.5" aria-hidden="true" />}
      {pending ? "Retrying…" : "Retry"}
    </Button>
  );
}

/**
 * Messages → Deliveries: every send with what became of it, filtered, newest first; one
 * opens with what was sent. With `profileId`: what was sent to one person (their profile).
 * `journeyId`: filtered to one journey's sends at first (the page's `?journey=`). Status
 * "failed" is the dead-letter list: a journey's failed send has a Retry button.
 */
export function DeliveryList({ profileId, journeyId }: { profileId?: string; journeyId?: string } = {}) {
  const trpc = useTRPC();
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const canRetry = can(workspace.data?.role, "journeys.publish");
  const retry = useRetry();
  const journeys = useQuery({ ...trpc.journeys.list.queryOptions({ includeArchived: true }), staleTime: 60_000 });
  const [journey, setJourney] = useState(journeyId ?? "");
  const [channel, setChannel] = useState<MessageChannel | "">("");
  const [status, setStatus] = useState<Status | "">("");
  const [period, setPeriod] = useState<keyof typeof PERIODS>("");
  const [recipient, setRecipient] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const term = useDebounced(recipient.trim(), 300);
  // The period's start, fixed when chosen (a moving "now" would change the query every render).
  const [from, setFrom] = useState<Date | undefined>(undefined);
  const list = useInfiniteQuery(
    trpc.messages.deliveries.infiniteQueryOptions(
      { channel: channel || undefined, status: status || undefined, recipient: term || undefined, from, profileId, journeyId: journey || undefined, limit: 50 },
      { getNextPageParam: (page) => page.nextCursor, ...LIVE },
    ),
  );
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = Boolean(channel || status || term || from || journey);
  const chooseJourney = (id: string) => {
    setJourney(id);
    // The page's address follows (a link to it opens the same list), without a reload.
    if (!profileId) {
      const url = new URL(window.location.href);
      if (id) url.searchParams.set("journey", id);
      else url.searchParams.delete("journey");
      window.history.replaceState(null, "", url);
    }
  };

  return (
    <div className="grid items-start gap-6 xl:grid-cols-[minmax(0,1fr)_26rem]">
      <div className="min-w-0">
        <div className="mb-4 flex flex-wrap items-center gap-3">
          <Select aria-label="Journey" className="w-48" value={journey} onChange={(e) => chooseJourney(e.target.value)}>
            <option value="">All sends</option>
            {journey && journeys.data && !journeys.data.some((j) => j.id === journey) && <option value={journey}>A deleted journey</option>}
            {journeys.data?.map((j) => (
              <option key={j.id} value={j.id}>
                {j.name}
              </option>
            ))}
          </Select>
          <Select aria-label="Channel" className="w-36" value={channel} onChange={(e) => setChannel(e.target.value as MessageChannel | "")}>
            <option value="">All channels</option>
            {MESSAGE_CHANNELS.map((c) => (
              <option key={c} value={c}>
                {CHANNEL_LABELS[c]}
              </option>
            ))}
          </Select>
          <Select aria-label="Status" className="w-36" value={status} onChange={(e) => setStatus(e.target.value as Status | "")}>
            <option value="">All statuses</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </Select>
          <Select
            aria-label="Time"
            className="w-40"
            value={period}
            onChange={(e) => {
              const p = e.target.value as keyof typeof PERIODS;
              setPeriod(p);
              setFrom(p ? new Date(Date.now() - Number(p) * 86_400_000) : undefined);
            }}
          >
            {Object.entries(PERIODS).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </Select>
          <Input type="search" aria-label="Recipient" placeholder="Recipient starts with…" className="w-56" value={recipient} onChange={(e) => setRecipient(e.target.value)} />
        </div>
        {status === "failed" && (
          <p className="mb-3 rounded-lg bg-red-50/60 px-3 py-2 text-sm text-red-900 ring-1 ring-red-200 ring-inset" data-testid="dead-letter-hint">
            Failed sends: the dead-letter list. {canRetry ? "A journey's failed send can be retried once what failed is fixed." : "A marketer or admin can retry a journey's failed send."}
          </p>
        )}
        {list.isError ? (
          <QueryError error={list.error} what="deliveries" onRetry={() => void list.refetch()} retrying={list.isRefetching} />
        ) : list.isSuccess && rows.length === 0 ? (
          filtered ? (
            <EmptyState icon={Inbox} title="No deliveries match" description={journey ? "Nothing this journey sent matches: try another status, channel or time — or all sends." : "Try another channel, status or time."} />
          ) : (
            <EmptyState
              icon={Inbox}
              title={profileId ? "Nothing sent to this person yet" : "Nothing sent yet"}
              description="Every send is logged here — test sends from a template now, journey sends once journeys run — with its status and the message as it was sent."
            />
          )
        ) : (
          <Card>
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm" data-testid="deliveries-table">
                <thead className="border-b border-slate-100 text-xs text-slate-500">
                  <tr>
                    <th scope="col" className="px-3 py-2.5 font-medium">When</th>
                    <th scope="col" className="px-3 py-2.5 font-medium">Status</th>
                    <th scope="col" className="px-3 py-2.5 font-medium">Channel</th>
                    <th scope="col" className="px-3 py-2.5 font-medium">Recipient</th>
                    <th scope="col" className="px-3 py-2.5 font-medium">Template</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {list.isPending &&
                    Array.from({ length: 4 }, (_, i) => (
                      <tr key={i}>
                        <td colSpan={5} className="px-3 py-3">
                          <div className="h-5 animate-pulse rounded bg-slate-100" />
                        </td>
                      </tr>
                    ))}
                  {rows.map((d) => (
                    <tr key={d.id} onClick={() => setOpen(d.id)} className={open === d.id ? "cursor-pointer bg-brand-50/50" : "cursor-pointer hover:bg-slate-50"}>
                      <td className="px-3 py-2.5 whitespace-nowrap text-slate-600">
                        <button type="button" className="text-left hover:underline focus:underline focus:outline-none" onClick={() => setOpen(d.id)} aria-label={`Open the delivery to ${d.recipient}`}>
                          {relativeTime(d.createdAt)}
                        </button>
                        {d.test && <Badge className="ml-2">test</Badge>}
                      </td>
                      <td className="px-3 py-2.5">
                        <div className="flex flex-wrap items-center gap-2">
                          <StatusBadge status={d.status} />
                          {canRetry && d.journey && RETRYABLE.has(d.status) && <RetryButton id={d.id} retry={retry} />}
                        </div>
                      </td>
                      <td className="px-3 py-2.5">
                        <ChannelBadge channel={d.channel} />
                      </td>
                      <td className="max-w-44 px-3 py-2.5">
                        <span className="block truncate text-slate-900" title={d.recipient}>{d.recipient}</span>
                        {d.person && (
                          <Link href={`/profiles/${d.person.id}`} className="block truncate text-xs text-brand-700 hover:underline">
                            {personLabel(d.person).primary}
                          </Link>
                        )}
                      </td>
                      <td className="max-w-44 px-3 py-2.5 text-slate-600">
                        {d.template ? (
                          <Link href={`/messages/${d.template.id}`} className="block truncate hover:underline">
                            {d.template.name} <span className="text-slate-400">v{d.template.version}</span>
                          </Link>
                        ) : (
                          "—"
                        )}
                        {d.journey && (
                          <Link href={`/journeys/${d.journey.id}`} className="block truncate text-xs text-brand-700 hover:underline" title={`Sent by the journey “${d.journey.name}”`}>
                            {d.journey.name}
                          </Link>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div className="flex items-center justify-between border-t border-slate-100 px-4 py-3 text-sm text-slate-500">
              <span>{list.isPending ? "Loading…" : `${formatCount(rows.length)} shown`}</span>
              {list.hasNextPage && (
                <Button variant="secondary" size="sm" loading={list.isFetchingNextPage} onClick={() => list.fetchNextPage()}>
                  Load more
                </Button>
              )}
            </div>
          </Card>
        )}
      </div>
      {open ? <DeliveryDetail id={open} onClose={() => setOpen(null)} canRetry={canRetry} retry={retry} /> : <div className="hidden xl:block" />}
    </div>
  );
}

function DeliveryDetail({ id, onClose, canRetry, retry }: { id: string; onClose: () => void; canRetry: boolean; retry: ReturnType<typeof useRetry> }) {
  const trpc = useTRPC();
  const delivery = useQuery(trpc.messages.delivery.queryOptions({ id }));
  const d = delivery.data;
  return (
    <Card className="xl:sticky xl:top-6">
      <CardHeader
        title="Delivery"
        description={d ? `${CHANNEL_LABELS[d.channel]} to ${d.recipient}` : "Loading…"}
        actions={
          <button type="button" onClick={onClose} className="rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-700" aria-label="Close the delivery">
            <X className="size-4" aria-hidden="true" />
          </button>
        }
      />
      <CardBody className="space-y-4 text-sm" >
        {delivery.isError ? (
          <p role="alert" className="text-red-700">{delivery.error.message}</p>
        ) : !d ? (
          <div className="h-40 animate-pulse rounded bg-slate-100" />
        ) : (
          <>
            <dl className="grid grid-cols-[7rem_1fr] gap-x-3 gap-y-1.5" data-testid="delivery-detail">
              <dt className="text-slate-500">Status</dt>
              <dd><StatusBadge status={d.status} />{d.test && <Badge className="ml-2">test</Badge>}</dd>
              {d.reason && (
                <>
                  <dt className="text-slate-500">Why</dt>
                  <dd className="text-slate-900">{d.reason}</dd>
                </>
              )}
              {d.journey && (
                <>
                  <dt className="text-slate-500">Journey</dt>
                  <dd>
                    <Link href={`/journeys/${d.journey.id}`} className="text-brand-700 hover:underline">{d.journey.name}</Link>
                  </dd>
                  <dt className="text-slate-500">Attempts</dt>
                  <dd className="text-slate-900 tabular-nums">{formatCount(d.attempts)}</dd>
                </>
              )}
              <dt className="text-slate-500">Created</dt>
              <dd className="text-slate-900">{formatDateTime(d.createdAt)}</dd>
              {d.sentAt && (
                <>
                  <dt className="text-slate-500">Sent</dt>
                  <dd className="text-slate-900">{formatDateTime(d.sentAt)}</dd>
                </>
              )}
              {d.person && (
                <>
                  <dt className="text-slate-500">Person</dt>
                  <dd>
                    <Link href={`/profiles/${d.person.id}`} className="text-brand-700 hover:underline">{personLabel(d.person).primary}</Link>
                  </dd>
                </>
              )}
              {d.template && (
                <>
                  <dt className="text-slate-500">Template</dt>
                  <dd>
                    <Link href={`/messages/${d.template.id}`} className="text-brand-700 hover:underline">{d.template.name}</Link> <span className="text-slate-400">v{d.template.version}</span>
                  </dd>
                </>
              )}
              {d.providerMessageId && (
                <>
                  <dt className="text-slate-500">Provider id</dt>
                  <dd className="break-all text-slate-700"><code className="text-xs">{d.providerMessageId}</code></dd>
                </>
              )}
            </dl>
            {canRetry && d.journey && RETRYABLE.has(d.status) && (
              <div className="flex items-center gap-3 rounded-lg bg-slate-50 px-3 py-2">
                <p className="flex-1 text-slate-600">{d.status === "unknown" ? "Retry only if you are sure it did not arrive: it is sent again." : "Fixed what failed? Queue it again."}</p>
                <RetryButton id={d.id} retry={retry} />
              </div>
            )}
            <RenderedMessage channel={d.channel} rendered={d.rendered} />
          </>
        )}
      </CardBody>
    </Card>
  );
}

function RenderedMessage({ channel, rendered }: { channel: MessageChannel; rendered: Record<string, string> }) {
  if (Object.keys(rendered).length === 0) return <p className="text-slate-500">Nothing was rendered (the template failed before it could be).</p>;
  if (channel === "email") {
    return (
      <div className="overflow-hidden rounded-lg border border-slate-200">
        <p className="border-b border-slate-100 bg-slate-50 px-3 py-2 font-medium text-slate-900">{rendered.subject}</p>
        <iframe title="The email as sent" sandbox="" srcDoc={rendered.html} className="h-80 w-full bg-white" />
      </div>
    );
  }
  return (
    <dl className="space-y-2">
      {Object.entries(rendered).map(([k, v]) => (
        <div key={k}>
          <dt className="text-xs font-medium text-slate-500">{k}</dt>
          <dd className="whitespace-pre-wrap text-slate-900">{v || "—"}</dd>
        </div>
      ))}
    </dl>
  );
}
