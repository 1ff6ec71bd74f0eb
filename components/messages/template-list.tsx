"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Bell, Copy, Mail, MessageSquare, Plus, Search, Smartphone, Trash2, Webhook, type LucideIcon } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";
import { can } from "@/lib/auth/roles";
import { relativeTime } from "@/lib/format";
import { CHANNEL_LABELS, MESSAGE_CHANNELS, type MessageChannel } from "@/lib/messages/schema";
import { errorMessage, fieldErrors, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { EmptyState } from "../ui/empty-state";
import { Field, Input, Select } from "../ui/field";
import { QueryError } from "../ui/query-error";
import { useDebounced } from "../ui/use-debounced";
import { cn } from "../ui/cn";

export const CHANNEL_ICONS: Record<MessageChannel, LucideIcon> = { email: Mail, sms: Smartphone, push: Bell, webhook: Webhook, inapp: MessageSquare };

const CHANNEL_HINTS: Record<MessageChannel, string> = {
  email: "Subject, preheader, HTML and text",
  sms: "Text, counted in parts",
  push: "Title, body, link and icon",
  webhook: "A request body for your systems",
  inapp: "A card in your own app or site",
};

export function ChannelBadge({ channel }: { channel: MessageChannel }) {
  const Icon = CHANNEL_ICONS[channel];
  return (
    <Badge className="gap-1">
      <Icon className="size-3" aria-hidden="true" />
      {CHANNEL_LABELS[channel]}
    </Badge>
  );
}

/** Messages → Templates: every template with its channel and version; create, duplicate, delete. */
export function TemplateList() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [channel, setChannel] = useState<MessageChannel | "">("");
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  const term = useDebounced(search.trim(), 300);
  const list = useQuery(trpc.messages.list.queryOptions({ search: term || undefined, channel: channel || undefined }));
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const canEdit = can(workspace.data?.role, "messages.edit");
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.messages.list.pathKey() });
  const duplicate = useMutation(
    trpc.messages.duplicate.mutationOptions({
      onSuccess: async ({ id }) => {
        await refresh();
        router.push(`/messages/${id}`);
      },
      onError: (e) => toast.error(errorMessage(e)),
    }),
  );
  const remove = useMutation(
    trpc.messages.delete.mutationOptions({
      onSuccess: async () => {
        toast.success(`Deleted “${deleting?.name}”`);
        setDeleting(null);
        await refresh();
      },
    }),
  );
  const rows = list.data ?? [];
  const filtered = Boolean(term || channel);

  return (
    <>
      <div className="mb-4 flex flex-wrap items-center gap-3">
        <div className="relative w-full max-w-sm">
          <Search className="pointer-events-none absolute top-2.5 left-3 size-4 text-slate-400" aria-hidden="true" />
          <Input type="search" aria-label="Search templates" placeholder="Search by name" className="pl-9" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <Select aria-label="Channel" className="w-40" value={channel} onChange={(e) => setChannel(e.target.value as MessageChannel | "")}>
          <option value="">All channels</option>
          {MESSAGE_CHANNELS.map((c) => (
            <option key={c} value={c}>
              {CHANNEL_LABELS[c]}
            </option>
          ))}
        </Select>
        {canEdit && (
          <Button className="ml-auto" onClick={() => setCreating(true)}>
            <Plus className="size-4" aria-hidden="true" /> New template
          </Button>
        )}
      </div>
      {list.isError ? (
        <QueryError error={list.error} what="templates" onRetry={() => void list.refetch()} retrying={list.isRefetching} />
      ) : list.isSuccess && rows.length === 0 ? (
        filtered ? (
          <EmptyState icon={Search} title="No templates match" description="Try another name or channel." />
        ) : (
          <EmptyState
            icon={Mail}
            title="No templates yet"
            description="Templates are the messages journeys send: an email, an SMS, a push notification, a webhook or an in-app card, personalised with Liquid."
          >
            {canEdit && <Button onClick={() => setCreating(true)}>Write the first template</Button>}
          </EmptyState>
        )
      ) : (
        <Card>
          <table className="w-full text-left text-sm" data-testid="templates-table">
            <thead className="border-b border-slate-100 text-xs text-slate-500">
              <tr>
                <th scope="col" className="px-5 py-2.5 font-medium">Template</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Channel</th>
                <th scope="col" className="px-5 py-2.5 text-right font-medium">Version</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Last change</th>
                {canEdit && <th scope="col" className="px-5 py-2.5"><span className="sr-only">Actions</span></th>}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {list.isPending &&
                Array.from({ length: 3 }, (_, i) => (
                  <tr key={i}>
                    <td colSpan={5} className="px-5 py-3">
                      <div className="h-5 animate-pulse rounded bg-slate-100" />
                    </td>
                  </tr>
                ))}
              {rows.map((t) => (
                <tr key={t.id} className="hover:bg-slate-50">
                  <td className="max-w-96 px-5 py-2.5">
                    <Link href={`/messages/${t.id}`} className="block truncate font-medium text-brand-700 hover:underline" title={t.name}>
                      {t.name}
                    </Link>
                  </td>
                  <td className="px-5 py-2.5">
                    <ChannelBadge channel={t.channel} />
                  </td>
                  <td className="px-5 py-2.5 text-right text-slate-700 tabular-nums">v{t.version}</td>
                  <td className="px-5 py-2.5 whitespace-nowrap text-slate-500">
                    {relativeTime(t.updatedAt)}
                    {t.updatedBy && <span className="block text-xs">by {t.updatedBy}</span>}
                  </td>
                  {canEdit && (
                    <td className="px-5 py-2.5 text-right whitespace-nowrap">
                      <Button variant="ghost" size="sm" aria-label={`Duplicate ${t.name}`} title="Duplicate" loading={duplicate.isPending && duplicate.variables?.id === t.id} onClick={() => duplicate.mutate({ id: t.id })}>
                        <Copy className="size-3.5" aria-hidden="true" />
                      </Button>
                      <Button variant="ghost" size="sm" aria-label={`Delete ${t.name}`} title="Delete" onClick={() => setDeleting({ id: t.id, name: t.name })}>
                        <Trash2 className="size-3.5" aria-hidden="true" />
                      </Button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
      <NewTemplateDialog open={creating} onClose={() => setCreating(false)} />
      <ConfirmDialog
        open={deleting !== null}
        title={deleting ? `Delete “${deleting.name}”?` : ""}
        confirmLabel="Delete"
        pending={remove.isPending}
        onCancel={() => {
          setDeleting(null);
          remove.reset();
        }}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id })}
      >
        <p>The template and its versions are deleted. Deliveries already sent stay in the log.</p>
        {remove.isError && <p role="alert" className="mt-3 text-red-600">{remove.error.message}</p>}
      </ConfirmDialog>
    </>
  );
}

function NewTemplateDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const [channel, setChannel] = useState<MessageChannel>("email");
  const create = useMutation(trpc.messages.create.mutationOptions({ onSuccess: ({ id }) => router.push(`/messages/${id}`) }));
  const errors = fieldErrors(create.error);
  const close = () => {
    setName("");
    create.reset();
    onClose();
  };
  return (
    <ConfirmDialog open={open} title="New template" confirmLabel="Create" tone="primary" pending={create.isPending} onCancel={close} onConfirm={() => create.mutate({ name, channel })}>
      <div className="space-y-4">
        <Field label="Name" error={errors.name ?? (create.isError && !errors.name && !errors.channel ? create.error.message : null)}>
          {(p) => <Input {...p} value={name} autoFocus placeholder="Tariff calculator reminder" onChange={(e) => setName(e.target.value)} />}
        </Field>
        <fieldset>
          <legend className="mb-1.5 block text-sm font-medium text-slate-800">Channel</legend>
          <div className="grid grid-cols-1 gap-2 sm:grid-cols-2">
            {MESSAGE_CHANNELS.map((c) => {
              const Icon = CHANNEL_ICONS[c];
              return (
                <label
                  key={c}
                  className={cn(
                    "flex cursor-pointer items-start gap-2.5 rounded-lg border p-3 text-sm has-focus-visible:ring-2 has-focus-visible:ring-brand-500",
                    channel === c ? "border-brand-400 bg-brand-50/60" : "border-slate-200 hover:border-slate-300",
                  )}
                >
                  <input type="radio" name="channel" value={c} className="sr-only" checked={channel === c} onChange={() => setChannel(c)} />
                  <Icon className="mt-0.5 size-4 shrink-0 text-brand-600" aria-hidden="true" />
                  <span>
                    <span className="block font-medium text-slate-900">{CHANNEL_LABELS[c]}</span>
                    <span className="block text-xs text-slate-500">{CHANNEL_HINTS[c]}</span>
                  </span>
                </label>
              );
            })}
          </div>
        </fieldset>
      </div>
    </ConfirmDialog>
  );
}
