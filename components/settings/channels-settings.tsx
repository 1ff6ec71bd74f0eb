"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CheckCircle2, Mail, ShieldAlert, XCircle } from "lucide-react";
import { useState, type FormEvent } from "react";
import { toast } from "sonner";
import { can, type Role } from "@/lib/auth/roles";
import { SMTP_DEFAULT_PORT, type SmtpSettings } from "@/lib/channels/schema";
import { relativeTime } from "@/lib/format";
import { errorMessage, fieldErrors, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { EmptyState } from "../ui/empty-state";
import { Field, Input, Select } from "../ui/field";
import { QueryError } from "../ui/query-error";

const SECURITY_LABELS: Record<SmtpSettings["security"], string> = { none: "None (plain)", starttls: "STARTTLS", tls: "TLS" };

interface Channel {
  id: string;
  name: string;
  settings: SmtpSettings;
  secrets: { name: string; hint: string | null }[];
  lastTest: { at: Date; ok: boolean; message: string } | null;
}

/** Settings → Channels: admins connect and test channels; everyone sees which are connected. Secrets are write-only. */
export function ChannelsSettings({ role, privateNetworkAllowed }: { role: Role; privateNetworkAllowed: boolean }) {
  const trpc = useTRPC();
  const channels = useQuery(trpc.channels.list.queryOptions());
  const canManage = can(role, "channels.manage");
  const [editing, setEditing] = useState<Channel | "new" | null>(null);

  return (
    <div className="space-y-6">
      {privateNetworkAllowed && (
        <p role="status" className="flex items-start gap-2 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
          <ShieldAlert className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
          Channels may reach private network addresses on this instance (JUNCTION_ALLOW_PRIVATE_NETWORK=1): meant for development, not production.
        </p>
      )}
      {channels.isError ? (
        <QueryError error={channels.error} what="channels" onRetry={() => void channels.refetch()} retrying={channels.isRefetching} />
      ) : editing ? (
        <EmailChannelForm channel={editing === "new" ? null : editing} onDone={() => setEditing(null)} />
      ) : channels.isPending ? (
        <div className="h-32 animate-pulse rounded-xl bg-slate-100" />
      ) : channels.data.length === 0 ? (
        <EmptyState icon={Mail} title="No channels yet" description={canManage ? "Connect an email server so journeys can reach people." : "An admin connects the channels journeys send through."}>
          {canManage && <Button onClick={() => setEditing("new")}>Connect email (SMTP)</Button>}
        </EmptyState>
      ) : (
        <>
          {channels.data.map((channel) => (
            <ChannelCard key={channel.id} channel={channel} canManage={canManage} onEdit={() => setEditing(channel)} />
          ))}
          {canManage ? (
            <Button variant="secondary" onClick={() => setEditing("new")}>
              Connect another email server
            </Button>
          ) : (
            <p className="text-sm text-slate-500">Only admins can connect or change channels.</p>
          )}
        </>
      )}
    </div>
  );
}

function ChannelCard({ channel, canManage, onEdit }: { channel: Channel; canManage: boolean; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [to, setTo] = useState("");
  const [deleting, setDeleting] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.channels.pathKey() });
  const send = useMutation(
    trpc.channels.sendTestEmail.mutationOptions({
      onSuccess: (outcome) => (outcome.ok ? toast.success(`Test email sent to ${to}`) : toast.error(`Not sent: ${outcome.message}`)),
    }),
  );
  const remove = useMutation(trpc.channels.delete.mutationOptions({ onSuccess: refresh, onError: (e) => toast.error(errorMessage(e)) }));
  const password = channel.secrets.find((s) => s.name === "password");
  const s = channel.settings;
  return (
    <Card>
      <CardHeader
        title={channel.name}
        description={`Email over SMTP · ${s.host}:${s.port} · ${SECURITY_LABELS[s.security]}`}
        actions={
          canManage && (
            <div className="flex gap-2">
              <Button variant="secondary" size="sm" onClick={onEdit}>
                Edit
              </Button>
              <Button variant="ghost" size="sm" onClick={() => setDeleting(true)}>
                Remove
              </Button>
            </div>
          )
        }
      />
      <CardBody className="space-y-3 text-sm">
        <dl className="grid grid-cols-[8rem_1fr] gap-x-4 gap-y-1.5">
          <dt className="text-slate-500">Signs in as</dt>
          <dd className="text-slate-900">{s.user || "— (no sign-in)"}</dd>
          <dt className="text-slate-500">Password</dt>
          <dd className="text-slate-900" data-testid="password-state">{password ? `set${password.hint ? ` · ends in …${password.hint}` : ""}` : "not set"}</dd>
          <dt className="text-slate-500">Senders</dt>
          <dd className="text-slate-900">{s.senders.map((x) => `${x.name} <${x.address}>`).join(", ")}</dd>
          <dt className="text-slate-500">Last test</dt>
          <dd data-testid="last-test">
            {channel.lastTest ? (
              <span className={channel.lastTest.ok ? "text-emerald-700" : "text-red-700"}>
                {channel.lastTest.ok ? "Passed" : "Failed"} {relativeTime(channel.lastTest.at)}: {channel.lastTest.message}
              </span>
            ) : (
              <span className="text-slate-500">never</span>
            )}
          </dd>
        </dl>
        {canManage && (
          <form
            className="flex flex-wrap items-end gap-2 border-t border-slate-100 pt-3"
            onSubmit={(e) => {
              e.preventDefault();
              send.mutate({ id: channel.id, to });
            }}
          >
            <Field label="Send a test email to" className="w-72" error={fieldErrors(send.error).to}>
              {(p) => <Input {...p} type="email" value={to} placeholder="you@example.com" onChange={(e) => setTo(e.target.value)} />}
            </Field>
            <Button type="submit" variant="secondary" loading={send.isPending} disabled={!to}>
              Send test
            </Button>
          </form>
        )}
      </CardBody>
      <ConfirmDialog
        open={deleting}
        title={`Remove “${channel.name}”?`}
        confirmLabel="Remove channel"
        pending={remove.isPending}
        onCancel={() => setDeleting(false)}
        onConfirm={() => remove.mutate({ id: channel.id })}
      >
        Its settings and stored password are deleted. Nothing can be sent through it afterwards.
      </ConfirmDialog>
    </Card>
  );
}

function EmailChannelForm({ channel, onDone }: { channel: Channel | null; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const initial = channel?.settings;
  const stored = channel?.secrets.find((s) => s.name === "password");
  const [name, setName] = useState(channel?.name ?? "Email");
  const [host, setHost] = useState(initial?.host ?? "");
  const [port, setPort] = useState(String(initial?.port ?? SMTP_DEFAULT_PORT.starttls));
  const [security, setSecurity] = useState<SmtpSettings["security"]>(initial?.security ?? "starttls");
  const [user, setUser] = useState(initial?.user ?? "");
  // Write-only: a stored password is never sent back; "Replace" opens an empty field.
  const [replacing, setReplacing] = useState(!stored);
  const [password, setPassword] = useState("");
  const [senderName, setSenderName] = useState(initial?.senders[0]?.name ?? "");
  const [senderAddress, setSenderAddress] = useState(initial?.senders[0]?.address ?? "");
  const [replyTo, setReplyTo] = useState(initial?.senders[0]?.replyTo ?? "");

  const settings = (): SmtpSettings => ({
    host: host.trim(),
    port: Number(port),
    security,
    user: user.trim() || undefined,
    pool: true,
    senders: [{ name: senderName.trim(), address: senderAddress.trim(), ...(replyTo.trim() ? { replyTo: replyTo.trim() } : {}) }],
  });
  const secret = replacing && password ? password : undefined;
  const test = useMutation(trpc.channels.testEmail.mutationOptions());
  const save = useMutation(
    trpc.channels.saveEmail.mutationOptions({
      onSuccess: async (saved) => {
        toast.success(`Saved “${saved.name}”`);
        await queryClient.invalidateQueries({ queryKey: trpc.channels.pathKey() });
        onDone();
      },
      onError: (error) => {
        if (Object.keys(fieldErrors(error)).length === 0) toast.error(errorMessage(error));
      },
    }),
  );
  const errors = { ...fieldErrors(test.error), ...fieldErrors(save.error) };
  const err = (field: string) => errors[`settings.${field}`];

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ id: channel?.id, name, settings: settings(), password: secret });
  }

  return (
    <Card>
      <CardHeader title={channel ? `Edit “${channel.name}”` : "Connect email (SMTP)"} description="Journeys send email through this server. Test the connection before you save." />
      <CardBody>
        <form onSubmit={onSubmit} className="grid max-w-2xl gap-4 sm:grid-cols-2" noValidate>
          <Field label="Channel name" error={errors.name} className="sm:col-span-2">
            {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Host" error={err("host")} hint="For example smtp.example.com">
            {(p) => <Input {...p} value={host} autoComplete="off" onChange={(e) => setHost(e.target.value)} />}
          </Field>
          <div className="grid grid-cols-2 gap-3">
            <Field label="Security" error={err("security")}>
              {(p) => (
                <Select
                  {...p}
                  value={security}
                  onChange={(e) => {
                    const next = e.target.value as SmtpSettings["security"];
                    if (Number(port) === SMTP_DEFAULT_PORT[security]) setPort(String(SMTP_DEFAULT_PORT[next]));
                    setSecurity(next);
                  }}
                >
                  {Object.entries(SECURITY_LABELS).map(([value, label]) => (
                    <option key={value} value={value}>
                      {label}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Field label="Port" error={err("port")}>
              {(p) => <Input {...p} inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value.replace(/[^0-9]/g, ""))} />}
            </Field>
          </div>
          <Field label="User name" error={err("user")} hint="Leave empty if the server takes mail without signing in.">
            {(p) => <Input {...p} value={user} autoComplete="off" onChange={(e) => setUser(e.target.value)} />}
          </Field>
          {replacing ? (
            <Field label="Password" error={errors.password} hint={stored ? "Replaces the stored password when you save." : "Stored encrypted; never shown again."}>
              {(p) => <Input {...p} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
            </Field>
          ) : (
            <div className="space-y-1.5">
              <p className="text-sm font-medium text-slate-800">Password</p>
              <p className="flex h-9 items-center gap-2 text-sm text-slate-700" data-testid="password-state">
                <Badge tone="green">set</Badge>
                {stored?.hint && <span>ends in …{stored.hint}</span>}
                <Button variant="ghost" size="sm" onClick={() => setReplacing(true)}>
                  Replace
                </Button>
              </p>
            </div>
          )}
          <Field label="Sender name" error={err("senders.0.name")}>
            {(p) => <Input {...p} value={senderName} placeholder="Acme Fitness" onChange={(e) => setSenderName(e.target.value)} />}
          </Field>
          <Field label="Sender address" error={err("senders.0.address") ?? err("senders")}>
            {(p) => <Input {...p} type="email" value={senderAddress} placeholder="hello@acme.example" onChange={(e) => setSenderAddress(e.target.value)} />}
          </Field>
          <Field label="Reply-to (optional)" error={err("senders.0.replyTo")}>
            {(p) => <Input {...p} type="email" value={replyTo} onChange={(e) => setReplyTo(e.target.value)} />}
          </Field>
          {test.data && (
            <p
              role="status"
              data-testid="test-outcome"
              className={`flex items-start gap-2 rounded-md px-3 py-2 text-sm sm:col-span-2 ${test.data.ok ? "bg-emerald-50 text-emerald-800" : "bg-red-50 text-red-800"}`}
            >
              {test.data.ok ? <CheckCircle2 className="mt-0.5 size-4 shrink-0" aria-hidden="true" /> : <XCircle className="mt-0.5 size-4 shrink-0" aria-hidden="true" />}
              <span>
                {test.data.ok ? "Connection works. " : "The server said: "}
                {test.data.message}
              </span>
            </p>
          )}
          {test.isError && Object.keys(fieldErrors(test.error)).length === 0 && (
            <p role="alert" className="text-sm text-red-700 sm:col-span-2">
              {errorMessage(test.error)}
            </p>
          )}
          <div className="flex flex-wrap gap-2 sm:col-span-2">
            <Button type="submit" loading={save.isPending}>
              Save
            </Button>
            <Button variant="secondary" loading={test.isPending} onClick={() => test.mutate({ id: channel?.id, settings: settings(), password: secret })}>
              Test connection
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
