"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { BellRing, Lock } from "lucide-react";
import { useState, type FormEvent } from "react";
import { toast } from "sonner";
import { can, type Role } from "@/lib/auth/roles";
import {
  CONSENT_CHANNEL_LABELS,
  CONSENT_CHANNELS,
  MODE_DESCRIPTIONS,
  MODE_LABELS,
  PURPOSE_LABELS,
  PURPOSES,
  SUBSCRIPTION_MODES,
  ZSubscriptionGroupInput,
  type ConsentChannel,
  type Purpose,
  type SubscriptionMode,
} from "@/lib/consent/schema";
import { formatCount } from "@/lib/format";
import { plainMessage } from "@/lib/messages";
import { errorMessage, fieldErrors, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { EmptyState } from "../ui/empty-state";
import { Field, Input, Select } from "../ui/field";
import { QueryError } from "../ui/query-error";

interface Group {
  id: string;
  name: string;
  description: string;
  channel: ConsentChannel;
  mode: SubscriptionMode;
  purpose: Purpose;
  answered: { subscribed: number; unsubscribed: number };
}

/**
 * Settings → Subscriptions: the groups people can join or leave, per channel. Admins
 * create, edit and delete them; everyone else sees them. A group's channel and mode are
 * fixed once it exists.
 */
export function SubscriptionsSettings({ role }: { role: Role }) {
  const trpc = useTRPC();
  const groups = useQuery(trpc.consent.groups.queryOptions());
  const canManage = can(role, "consent.manage");
  const [editing, setEditing] = useState<Group | "new" | null>(null);

  if (groups.isError) return <QueryError error={groups.error} what="subscription groups" onRetry={() => void groups.refetch()} retrying={groups.isRefetching} />;
  if (editing) return <GroupForm group={editing === "new" ? null : editing} onDone={() => setEditing(null)} />;
  if (groups.isPending) return <div className="h-32 animate-pulse rounded-xl bg-slate-100" />;
  if (groups.data.length === 0) {
    return (
      <EmptyState
        icon={BellRing}
        title="No subscription groups yet"
        description={
          canManage
            ? "Groups are what people subscribe to or leave — “Product news” by email, “SMS offers”. Every message belongs to one, and nobody who left it gets it."
            : "An admin sets up the groups people can subscribe to or leave."
        }
      >
        {canManage && <Button onClick={() => setEditing("new")}>New subscription group</Button>}
      </EmptyState>
    );
  }
  return (
    <div className="space-y-4">
      <Card>
        <CardHeader
          title="Subscription groups"
          description="Opt-out groups count everyone in until they leave; opt-in groups nobody until they say yes. Each answer is kept with where and when it was given."
          actions={canManage && <Button onClick={() => setEditing("new")}>New group</Button>}
        />
        <div className="overflow-x-auto">
          <table className="w-full text-sm" data-testid="subscription-groups">
            <thead className="border-b border-slate-100 text-left text-xs font-medium tracking-wide text-slate-500 uppercase">
              <tr>
                <th scope="col" className="px-5 py-2.5">Group</th>
                <th scope="col" className="px-3 py-2.5">Channel</th>
                <th scope="col" className="px-3 py-2.5">Mode</th>
                <th scope="col" className="px-3 py-2.5">Purpose</th>
                <th scope="col" className="px-3 py-2.5">Answers</th>
                {canManage && <th scope="col" className="px-5 py-2.5"><span className="sr-only">Actions</span></th>}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {groups.data.map((group) => (
                <GroupRow key={group.id} group={group} canManage={canManage} onEdit={() => setEditing(group)} />
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      {!canManage && <p className="text-sm text-slate-500">Only admins can add, change or delete subscription groups.</p>}
    </div>
  );
}

function GroupRow({ group, canManage, onEdit }: { group: Group; canManage: boolean; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState(false);
  const remove = useMutation(
    trpc.consent.deleteGroup.mutationOptions({
      onSuccess: async () => {
        toast.success(`Deleted “${group.name}”`);
        setDeleting(false);
        await queryClient.invalidateQueries({ queryKey: trpc.consent.pathKey() });
      },
      onError: (error) => {
        setDeleting(false);
        toast.error(errorMessage(error));
      },
    }),
  );
  const answers = group.answered.subscribed + group.answered.unsubscribed;
  return (
    <tr data-testid="subscription-group">
      <td className="px-5 py-3 align-top">
        <p className="font-medium text-slate-900">{group.name}</p>
        {group.description && <p className="mt-0.5 max-w-md text-xs text-slate-500">{group.description}</p>}
      </td>
      <td className="px-3 py-3 align-top text-slate-700">{CONSENT_CHANNEL_LABELS[group.channel]}</td>
      <td className="px-3 py-3 align-top">
        <Badge tone={group.mode === "opt_in" ? "brand" : "slate"}>{MODE_LABELS[group.mode]}</Badge>
      </td>
      <td className="px-3 py-3 align-top">
        <Badge tone={group.purpose === "transactional" ? "amber" : "slate"}>{PURPOSE_LABELS[group.purpose]}</Badge>
      </td>
      <td className="px-3 py-3 align-top text-slate-700 tabular-nums">
        {answers === 0 ? (
          <span className="text-slate-500">nobody answered yet</span>
        ) : (
          <>
            {formatCount(group.answered.unsubscribed)} left · {formatCount(group.answered.subscribed)} said yes
          </>
        )}
      </td>
      {canManage && (
        <td className="px-5 py-3 text-right align-top whitespace-nowrap">
          <Button variant="ghost" size="sm" onClick={onEdit} aria-label={`Edit ${group.name}`}>
            Edit
          </Button>
          <Button variant="ghost" size="sm" onClick={() => setDeleting(true)} aria-label={`Delete ${group.name}`}>
            Delete
          </Button>
          <ConfirmDialog
            open={deleting}
            title={`Delete “${group.name}”?`}
            confirmLabel="Delete group"
            pending={remove.isPending}
            onCancel={() => setDeleting(false)}
            onConfirm={() => remove.mutate({ id: group.id })}
          >
            {answers > 0 ? `The answers of ${formatCount(answers)} people and their consent history for this group are deleted with it. ` : ""}
            Messages that belong to it can no longer be sent. A segment that uses it must be changed first.
          </ConfirmDialog>
        </td>
      )}
    </tr>
  );
}

function GroupForm({ group, onDone }: { group: Group | null; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(group?.name ?? "");
  const [description, setDescription] = useState(group?.description ?? "");
  const [channel, setChannel] = useState<ConsentChannel>(group?.channel ?? "email");
  const [mode, setMode] = useState<SubscriptionMode>(group?.mode ?? "opt_out");
  const [purpose, setPurpose] = useState<Purpose>(group?.purpose ?? "marketing");
  const [local, setLocal] = useState<Record<string, string>>({});

  const done = async (saved: { name: string }) => {
    toast.success(`Saved “${saved.name}”`);
    await queryClient.invalidateQueries({ queryKey: trpc.consent.pathKey() });
    onDone();
  };
  // Problems show in the form: beside the field, or (a name taken) above the buttons.
  const create = useMutation(trpc.consent.createGroup.mutationOptions({ onSuccess: done }));
  const update = useMutation(trpc.consent.updateGroup.mutationOptions({ onSuccess: done }));
  const pending = create.isPending || update.isPending;
  const errors = { ...fieldErrors(create.error), ...fieldErrors(update.error), ...local };
  const conflict = [create.error, update.error].find((e) => e && Object.keys(fieldErrors(e)).length === 0);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    // The same schema the server checks, so the form says what is wrong before sending.
    const parsed = ZSubscriptionGroupInput.safeParse({ name, description, channel, mode, purpose });
    if (!parsed.success) {
      setLocal(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? ""), plainMessage(i)])));
      return;
    }
    setLocal({});
    if (group) update.mutate({ id: group.id, name: parsed.data.name, description: parsed.data.description, purpose: parsed.data.purpose });
    else create.mutate(parsed.data);
  }

  return (
    <Card>
      <CardHeader title={group ? `Edit “${group.name}”` : "New subscription group"} description="People see the name and description on their preference page." />
      <CardBody>
        <form onSubmit={onSubmit} className="grid max-w-2xl gap-4 sm:grid-cols-2" noValidate>
          <Field label="Name" error={errors.name} className="sm:col-span-2" hint="For example “Product news” or “SMS offers”.">
            {(p) => <Input {...p} value={name} maxLength={80} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Description (optional)" error={errors.description} className="sm:col-span-2" hint="What people get, in a sentence.">
            {(p) => <Input {...p} value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)} />}
          </Field>
          <Field label="Channel" error={errors.channel} hint={group ? "Fixed: people's answers were about this channel." : undefined}>
            {(p) => (
              <Select {...p} value={channel} disabled={Boolean(group)} onChange={(e) => setChannel(e.target.value as ConsentChannel)}>
                {CONSENT_CHANNELS.map((c) => (
                  <option key={c} value={c}>
                    {CONSENT_CHANNEL_LABELS[c]}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Purpose" error={errors.purpose} hint="Transactional: messages people need (orders, account). One-click unsubscribe without a group leaves marketing groups only.">
            {(p) => (
              <Select {...p} value={purpose} onChange={(e) => setPurpose(e.target.value as Purpose)}>
                {PURPOSES.map((x) => (
                  <option key={x} value={x}>
                    {PURPOSE_LABELS[x]}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <fieldset className="sm:col-span-2">
            <legend className="text-sm font-medium text-slate-800">Mode</legend>
            {group && (
              <p className="mt-1 flex items-center gap-1.5 text-xs text-slate-500">
                <Lock className="size-3" aria-hidden="true" /> Fixed once the group exists: switching to opt-out would count everyone who never answered as subscribed.
              </p>
            )}
            <div className="mt-2 grid gap-2 sm:grid-cols-2">
              {SUBSCRIPTION_MODES.map((m) => (
                <label key={m} className={`flex gap-2 rounded-lg border px-3 py-2 text-sm ${mode === m ? "border-brand-400 bg-brand-50/50" : "border-slate-200"} ${group ? "opacity-70" : "cursor-pointer"}`}>
                  <input type="radio" name="mode" value={m} checked={mode === m} disabled={Boolean(group)} onChange={() => setMode(m)} className="mt-0.5" />
                  <span>
                    <span className="font-medium text-slate-900">{MODE_LABELS[m]}</span>
                    <span className="block text-xs text-slate-500">{MODE_DESCRIPTIONS[m]}</span>
                  </span>
                </label>
              ))}
            </div>
            {errors.mode && <p className="mt-1 text-xs font-medium text-red-600" role="alert">{errors.mode}</p>}
          </fieldset>
          {conflict && (
            <p role="alert" className="text-sm text-red-700 sm:col-span-2">
              {errorMessage(conflict)}
            </p>
          )}
          <div className="flex gap-2 sm:col-span-2">
            <Button type="submit" loading={pending}>
              {group ? "Save" : "Create group"}
            </Button>
            <Button variant="ghost" onClick={onDone}>
              Cancel
            </Button>
          </div>
        </form>
      </CardBody>
    </Card>
  );
}
