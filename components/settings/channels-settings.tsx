"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CheckCircle2, Copy, Mail, Plus, ShieldAlert, Trash2, XCircle } from "lucide-react";
import { useState, type FormEvent, type ReactNode } from "react";
import { toast } from "sonner";
import { can, type Role } from "@/lib/auth/roles";
import { CHANNEL_KINDS, CHANNEL_SECRETS, TEST_RECIPIENT, type ChannelConfig, type ChannelKind } from "@/lib/channels/kinds";
import { SMTP_DEFAULT_PORT, WEBHOOK_METHODS, type PushSettings, type SmsSettings, type SmtpSettings, type WebhookSettings } from "@/lib/channels/schema";
import { relativeTime } from "@/lib/format";
import { CHANNEL_LABELS } from "@/lib/messages/schema";
import { CHANNEL_ICONS } from "../messages/template-list";
import { errorMessage, fieldErrors, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { EmptyState } from "../ui/empty-state";
import { Field, Input, Select } from "../ui/field";
import { QueryError } from "../ui/query-error";
import { cn } from "../ui/cn";

const SECURITY_LABELS: Record<SmtpSettings["security"], string> = { none: "None (plain)", starttls: "STARTTLS", tls: "TLS" };

const KIND_TITLES: Record<ChannelKind, string> = {
  email: "Email (SMTP)",
  sms: "SMS (Twilio)",
  push: "Push (Web Push, FCM)",
  webhook: "Webhook",
  inapp: "In-app messages",
};

const KIND_HINTS: Record<ChannelKind, string> = {
  email: "Your own mail server or provider, over SMTP.",
  sms: "Twilio’s Messages API, or a Twilio-compatible provider.",
  push: "Browsers with Web Push (VAPID), apps with Firebase Cloud Messaging.",
  webhook: "A signed HTTP request to your own systems.",
  inapp: "Kept per person; your app or site fetches them.",
};

type Channel = ReturnType<typeof useChannels>["data"] extends (infer T)[] | undefined ? T : never;
type SecretInput = Record<string, string | null | undefined>;

function useChannels() {
  const trpc = useTRPC();
  return useQuery(trpc.channels.list.queryOptions());
}

/** Settings → Channels: admins connect and test channels; everyone sees which are connected. Secrets are write-only. */
export function ChannelsSettings({ role, privateNetworkAllowed }: { role: Role; privateNetworkAllowed: boolean }) {
  const channels = useChannels();
  const canManage = can(role, "channels.manage");
  const [editing, setEditing] = useState<Channel | ChannelKind | "choose" | null>(null);
  const [revealed, setRevealed] = useState<{ name: string; secret: string } | null>(null);

  return (
    <div className="space-y-6">
      {privateNetworkAllowed && (
        <p role="status" className="flex items-start gap-2 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
          <ShieldAlert className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
          Channels may reach private network addresses on this instance (JUNCTION_ALLOW_PRIVATE_NETWORK=1): meant for development, not production.
        </p>
      )}
      {revealed && <RevealedSecret name={revealed.name} secret={revealed.secret} onClose={() => setRevealed(null)} />}
      {channels.isError ? (
        <QueryError error={channels.error} what="channels" onRetry={() => void channels.refetch()} retrying={channels.isRefetching} />
      ) : editing === "choose" ? (
        <KindChooser onChoose={setEditing} onCancel={() => setEditing(null)} />
      ) : editing ? (
        <ChannelForm
          kind={typeof editing === "string" ? editing : editing.kind}
          channel={typeof editing === "string" ? null : editing}
          onDone={(saved) => {
            setEditing(null);
            if (saved?.revealed?.signingSecret) setRevealed({ name: saved.name, secret: saved.revealed.signingSecret });
          }}
        />
      ) : channels.isPending ? (
        <div className="h-32 animate-pulse rounded-xl bg-slate-100" />
      ) : channels.data.length === 0 ? (
        <EmptyState icon={Mail} title="No channels yet" description={canManage ? "Connect the channels journeys send through: email, SMS, push, webhooks, in-app." : "An admin connects the channels journeys send through."}>
          {canManage && (
            <>
              <Button onClick={() => setEditing("email")}>Connect email (SMTP)</Button>
              <Button variant="secondary" onClick={() => setEditing("choose")}>
                Another channel…
              </Button>
            </>
          )}
        </EmptyState>
      ) : (
        <>
          {channels.data.map((channel) => (
            <ChannelCard key={channel.id} channel={channel} canManage={canManage} onEdit={() => setEditing(channel)} />
          ))}
          {canManage ? (
            <Button variant="secondary" onClick={() => setEditing("choose")}>
              <Plus className="size-4" aria-hidden="true" /> Connect a channel
            </Button>
          ) : (
            <p className="text-sm text-slate-500">Only admins can connect or change channels.</p>
          )}
        </>
      )}
    </div>
  );
}

function KindChooser({ onChoose, onCancel }: { onChoose: (kind: ChannelKind) => void; onCancel: () => void }) {
  return (
    <Card>
      <CardHeader title="Connect a channel" description="What should journeys be able to send?" actions={<Button variant="ghost" size="sm" onClick={onCancel}>Cancel</Button>} />
      <CardBody>
        <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          {CHANNEL_KINDS.map((kind) => {
            const Icon = CHANNEL_ICONS[kind];
            return (
              <li key={kind}>
                <button type="button" onClick={() => onChoose(kind)} className="flex h-full w-full items-start gap-3 rounded-lg border border-slate-200 bg-white p-4 text-left hover:border-brand-300 hover:bg-brand-50/40 focus:ring-2 focus:ring-brand-500 focus:outline-none">
                  <Icon className="mt-0.5 size-5 shrink-0 text-brand-600" aria-hidden="true" />
                  <span>
                    <span className="block text-sm font-semibold text-slate-900">{KIND_TITLES[kind]}</span>
                    <span className="mt-0.5 block text-sm text-slate-500">{KIND_HINTS[kind]}</span>
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      </CardBody>
    </Card>
  );
}

/** A secret Junction made (a webhook's signing secret), shown this once for the receiver. */
function RevealedSecret({ name, secret, onClose }: { name: string; secret: string; onClose: () => void }) {
  return (
    <div role="status" className="rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900" data-testid="revealed-secret">
      <p className="font-medium">The signing secret of “{name}” — copy it now, it is not shown again.</p>
      <p className="mt-1">Your receiver checks each request’s Junction-Signature header with it (docs/channels.md).</p>
      <div className="mt-2 flex items-center gap-2">
        <code className="rounded bg-white px-2 py-1 text-xs break-all ring-1 ring-emerald-200">{secret}</code>
        <Button variant="secondary" size="sm" onClick={() => void navigator.clipboard?.writeText(secret).then(() => toast.success("Copied"))}>
          <Copy className="size-3.5" aria-hidden="true" /> Copy
        </Button>
        <Button variant="ghost" size="sm" onClick={onClose}>
          Done
        </Button>
      </div>
    </div>
  );
}

/** One line about a channel's settings, for its card. */
function summary(channel: Channel): string {
  switch (channel.kind) {
    case "email":
      return `Email over SMTP · ${channel.settings.host}:${channel.settings.port} · ${SECURITY_LABELS[channel.settings.security]}`;
    case "sms":
      return `SMS through ${new URL(channel.settings.baseUrl).host} · ${channel.settings.from ?? channel.settings.messagingServiceSid}`;
    case "push":
      return `Push · ${[channel.settings.webPush && "Web Push", channel.settings.fcm && `FCM (${channel.settings.fcm.projectId})`].filter(Boolean).join(" and ")}`;
    case "webhook":
      return `Webhook · ${channel.settings.method} ${channel.settings.url}`;
    case "inapp":
      return `In-app · kept ${channel.settings.retentionDays} days`;
  }
}

function ChannelCard({ channel, canManage, onEdit }: { channel: Channel; canManage: boolean; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [to, setTo] = useState("");
  const [deleting, setDeleting] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.channels.pathKey() });
  const send = useMutation(
    trpc.channels.sendTest.mutationOptions({
      onSuccess: (outcome) => (outcome.ok ? toast.success(channel.kind === "email" ? `Test email sent to ${to}` : `Test sent: ${outcome.message}`) : toast.error(`Not sent: ${outcome.message}`)),
      onError: (e) => toast.error(errorMessage(e)),
    }),
  );
  const remove = useMutation(trpc.channels.delete.mutationOptions({ onSuccess: refresh, onError: (e) => toast.error(errorMessage(e)) }));
  const Icon = CHANNEL_ICONS[channel.kind];
  return (
    <Card>
      <CardHeader
        title={channel.name}
        description={
          <span className="inline-flex items-center gap-1.5">
            <Icon className="size-3.5" aria-hidden="true" /> {summary(channel)}
          </span>
        }
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
        <dl className="grid grid-cols-[9rem_1fr] gap-x-4 gap-y-1.5">
          {channel.kind === "email" && (
            <>
              <dt className="text-slate-500">Signs in as</dt>
              <dd className="text-slate-900">{channel.settings.user || "— (no sign-in)"}</dd>
              <dt className="text-slate-500">Senders</dt>
              <dd className="text-slate-900">{channel.settings.senders.map((x) => `${x.name} <${x.address}>`).join(", ")}</dd>
            </>
          )}
          {channel.kind === "sms" && (
            <>
              <dt className="text-slate-500">Account</dt>
              <dd className="text-slate-900">{channel.settings.accountSid}{channel.settings.apiKeySid ? ` · API key ${channel.settings.apiKeySid}` : ""}</dd>
            </>
          )}
          {CHANNEL_SECRETS[channel.kind].map((spec) => {
            const state = channel.secrets.find((s) => s.name === spec.name);
            return (
              <SecretRow key={spec.name} label={spec.label}>
                <span data-testid={`${spec.name === "password" ? "password" : spec.name}-state`}>{state ? `set${state.hint ? ` · ends in …${state.hint}` : ""}` : "not set"}</span>
              </SecretRow>
            );
          })}
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
        {canManage && channel.kind !== "inapp" && (
          <form
            className="flex flex-wrap items-end gap-2 border-t border-slate-100 pt-3"
            onSubmit={(e) => {
              e.preventDefault();
              send.mutate({ id: channel.id, to: channel.kind === "webhook" ? channel.settings.url : to });
            }}
          >
            {channel.kind !== "webhook" && (
              <Field label={channel.kind === "email" ? "Send a test email to" : TEST_RECIPIENT[channel.kind].label} className="w-96 max-w-full" error={fieldErrors(send.error).to}>
                {(p) => <Input {...p} type={channel.kind === "email" ? "email" : "text"} value={to} placeholder={TEST_RECIPIENT[channel.kind].placeholder} onChange={(e) => setTo(e.target.value)} />}
              </Field>
            )}
            <Button type="submit" variant="secondary" loading={send.isPending} disabled={channel.kind !== "webhook" && !to}>
              {channel.kind === "webhook" ? "Send a signed test request" : "Send test"}
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
        Its settings and stored secrets are deleted. Nothing can be sent through it afterwards.
      </ConfirmDialog>
    </Card>
  );
}

function SecretRow({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-slate-500">{label}</dt>
      <dd className="text-slate-900">{children}</dd>
    </>
  );
}

/** A write-only secret in a form: "set · ends in …34 · Replace", or a field for a new one. */
function SecretField({
  label,
  stored,
  value,
  onChange,
  error,
  multiline = false,
  hint,
  testId,
}: {
  label: string;
  stored: { hint: string | null } | undefined;
  value: string | null | undefined;
  onChange: (value: string | undefined) => void;
  error?: string;
  multiline?: boolean;
  hint?: string;
  testId?: string;
}) {
  const [replacing, setReplacing] = useState(!stored);
  if (!replacing) {
    return (
      <div className="space-y-1.5">
        <p className="text-sm font-medium text-slate-800">{label}</p>
        <p className="flex h-9 items-center gap-2 text-sm text-slate-700" data-testid={testId}>
          <Badge tone="green">set</Badge>
          {stored?.hint && <span>ends in …{stored.hint}</span>}
          <Button variant="ghost" size="sm" onClick={() => setReplacing(true)}>
            Replace
          </Button>
        </p>
      </div>
    );
  }
  return (
    <Field label={label} error={error} hint={hint ?? (stored ? "Replaces the stored one when you save." : "Stored encrypted; never shown again.")}>
      {(p) =>
        multiline ? (
          <textarea
            {...p}
            rows={4}
            spellCheck={false}
            autoComplete="off"
            value={value ?? ""}
            onChange={(e) => onChange(e.target.value || undefined)}
            className={cn("block w-full rounded-md border-0 px-3 py-2 font-mono text-xs text-slate-900 ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-brand-500 focus:outline-none", error && "ring-red-400")}
          />
        ) : (
          <Input {...p} type="password" autoComplete="new-password" value={value ?? ""} onChange={(e) => onChange(e.target.value || undefined)} />
        )
      }
    </Field>
  );
}

/** The settings a new channel of each kind starts with. */
function initialConfig(kind: ChannelKind): ChannelConfig {
  switch (kind) {
    case "email":
      return { kind, settings: { host: "", port: SMTP_DEFAULT_PORT.starttls, security: "starttls", pool: true, senders: [{ name: "", address: "" }] } };
    case "sms":
      return { kind, settings: { accountSid: "", from: "", baseUrl: "https://api.twilio.com" } };
    case "push":
      return { kind, settings: {} as PushSettings };
    case "webhook":
      return { kind, settings: { url: "", method: "POST", headers: {}, body: "", timeoutMs: 10_000 } };
    case "inapp":
      return { kind, settings: { retentionDays: 90 } };
  }
}

function ChannelForm({ kind, channel, onDone }: { kind: ChannelKind; channel: Channel | null; onDone: (saved?: { name: string; revealed: Record<string, string> | null }) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(channel?.name ?? CHANNEL_LABELS[kind]);
  const [config, setConfig] = useState<ChannelConfig>(channel ? ({ kind: channel.kind, settings: channel.settings } as ChannelConfig) : initialConfig(kind));
  const [secrets, setSecrets] = useState<SecretInput>({});
  const stored = (secret: string) => channel?.secrets.find((s) => s.name === secret);
  const setSecret = (secret: string) => (value: string | undefined) => setSecrets((s) => ({ ...s, [secret]: value }));
  const test = useMutation(trpc.channels.test.mutationOptions());
  const save = useMutation(
    trpc.channels.save.mutationOptions({
      onSuccess: async (saved) => {
        toast.success(`Saved “${saved.name}”`);
        await queryClient.invalidateQueries({ queryKey: trpc.channels.pathKey() });
        onDone(saved);
      },
      onError: (error) => {
        if (Object.keys(fieldErrors(error)).length === 0) toast.error(errorMessage(error));
      },
    }),
  );
  const errors = { ...fieldErrors(test.error), ...fieldErrors(save.error) };
  const err = (field: string) => errors[`config.settings.${field}`];
  const secretErr = (secret: string) => errors[`secrets.${secret}`];
  const sent = Object.fromEntries(Object.entries(secrets).filter((e): e is [string, string | null] => e[1] !== undefined));

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ id: channel?.id, name, config, secrets: sent });
  }

  const fields = (() => {
    switch (config.kind) {
      case "email":
        return <EmailFields settings={config.settings} onChange={(settings) => setConfig({ kind: "email", settings })} err={err} secret={<SecretField label="Password" stored={stored("password")} value={secrets.password} onChange={setSecret("password")} error={secretErr("password")} testId="password-state" />} />;
      case "sms":
        return <SmsFields settings={config.settings} onChange={(settings) => setConfig({ kind: "sms", settings })} err={err} secret={<SecretField label={config.settings.apiKeySid ? "API key secret" : "Auth token"} stored={stored("authToken")} value={secrets.authToken} onChange={setSecret("authToken")} error={secretErr("authToken")} />} />;
      case "webhook":
        return (
          <WebhookFields
            settings={config.settings}
            onChange={(settings) => setConfig({ kind: "webhook", settings })}
            err={err}
            secret={
              channel ? (
                <SecretField label="Signing secret" stored={stored("signingSecret")} value={secrets.signingSecret} onChange={setSecret("signingSecret")} error={secretErr("signingSecret")} hint="Replace it with one your receiver knows; it signs every request." />
              ) : (
                <p className="text-sm text-slate-500 sm:col-span-2">Junction makes a signing secret when you save, and shows it once for your receiver.</p>
              )
            }
          />
        );
      case "push":
        return (
          <PushFields
            settings={config.settings}
            onChange={(settings) => setConfig({ kind: "push", settings })}
            err={err}
            vapidStored={Boolean(stored("vapidPrivateKey")) || Boolean(secrets.vapidPrivateKey)}
            onVapidPrivateKey={setSecret("vapidPrivateKey")}
            serviceAccount={<SecretField label="Service-account JSON" multiline stored={stored("serviceAccount")} value={secrets.serviceAccount} onChange={setSecret("serviceAccount")} error={secretErr("serviceAccount")} hint="The key file of a service account with the Firebase Cloud Messaging API Admin role; stored encrypted, never shown again." />}
          />
        );
      case "inapp":
        return (
          <Field label="Keep messages for (days)" error={err("retentionDays")} hint="Older in-app messages are no longer shown to the person.">
            {(p) => <Input {...p} inputMode="numeric" value={String(config.settings.retentionDays)} onChange={(e) => setConfig({ kind: "inapp", settings: { retentionDays: Number(e.target.value.replace(/[^0-9]/g, "")) || 0 } })} />}
          </Field>
        );
    }
  })();

  return (
    <Card>
      <CardHeader title={channel ? `Edit “${channel.name}”` : `Connect ${KIND_TITLES[kind].replace(/^Email/, "email")}`} description={`${KIND_HINTS[kind]} Test the connection before you save.`} />
      <CardBody>
        <form onSubmit={onSubmit} className="grid max-w-2xl gap-4 sm:grid-cols-2" noValidate>
          <Field label="Channel name" error={errors.name} className="sm:col-span-2">
            {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          {fields}
          {test.data && (
            <p
              role="status"
              data-testid="test-outcome"
              className={`flex items-start gap-2 rounded-md px-3 py-2 text-sm sm:col-span-2 ${test.data.ok ? "bg-emerald-50 text-emerald-800" : "bg-red-50 text-red-800"}`}
            >
              {test.data.ok ? <CheckCircle2 className="mt-0.5 size-4 shrink-0" aria-hidden="true" /> : <XCircle className="mt-0.5 size-4 shrink-0" aria-hidden="true" />}
              <span>
                {test.data.ok ? "Connection works. " : kind === "email" ? "The server said: " : "It did not work: "}
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
            {kind !== "inapp" && (
              <Button variant="secondary" loading={test.isPending} onClick={() => test.mutate({ id: channel?.id, config, secrets: sent })}>
                Test connection
              </Button>
            )}
            <Button variant="ghost" onClick={() => onDone()}>
              Cancel
            </Button>
          </div>
        </form>
      </CardBody>
    </Card>
  );
}

type Err = (field: string) => string | undefined;

function EmailFields({ settings, onChange, err, secret }: { settings: SmtpSettings; onChange: (s: SmtpSettings) => void; err: Err; secret: ReactNode }) {
  const set = (patch: Partial<SmtpSettings>) => onChange({ ...settings, ...patch });
  const setSender = (i: number, patch: Partial<SmtpSettings["senders"][number]>) => set({ senders: settings.senders.map((s, j) => (j === i ? { ...s, ...patch } : s)) });
  return (
    <>
      <Field label="Host" error={err("host")} hint="For example smtp.example.com">
        {(p) => <Input {...p} value={settings.host} autoComplete="off" onChange={(e) => set({ host: e.target.value.trim() })} />}
      </Field>
      <div className="grid grid-cols-2 gap-3">
        <Field label="Security" error={err("security")}>
          {(p) => (
            <Select
              {...p}
              value={settings.security}
              onChange={(e) => {
                const next = e.target.value as SmtpSettings["security"];
                set({ security: next, ...(settings.port === SMTP_DEFAULT_PORT[settings.security] ? { port: SMTP_DEFAULT_PORT[next] } : {}) });
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
          {(p) => <Input {...p} inputMode="numeric" value={String(settings.port || "")} onChange={(e) => set({ port: Number(e.target.value.replace(/[^0-9]/g, "")) })} />}
        </Field>
      </div>
      <Field label="User name" error={err("user")} hint="Leave empty if the server takes mail without signing in.">
        {(p) => <Input {...p} value={settings.user ?? ""} autoComplete="off" onChange={(e) => set({ user: e.target.value.trim() || undefined })} />}
      </Field>
      {secret}
      <fieldset className="space-y-3 sm:col-span-2">
        <legend className="text-sm font-medium text-slate-800">Senders</legend>
        <p className="text-xs text-slate-500">The first is the default; a template’s test send and journeys can choose another.</p>
        {err("senders") && <p role="alert" className="text-xs font-medium text-red-600">Senders {err("senders")}</p>}
        {settings.senders.map((sender, i) => (
          <div key={i} className="grid items-end gap-3 rounded-lg border border-slate-200 p-3 sm:grid-cols-[1fr_1fr_1fr_auto]">
            <Field label={i === 0 ? "Sender name" : `Sender ${i + 1} name`} error={err(`senders.${i}.name`)}>
              {(p) => <Input {...p} value={sender.name} placeholder="Acme Fitness" onChange={(e) => setSender(i, { name: e.target.value })} />}
            </Field>
            <Field label={i === 0 ? "Sender address" : `Sender ${i + 1} address`} error={err(`senders.${i}.address`)}>
              {(p) => <Input {...p} type="email" value={sender.address} placeholder="hello@acme.example" onChange={(e) => setSender(i, { address: e.target.value.trim() })} />}
            </Field>
            <Field label={i === 0 ? "Reply-to (optional)" : `Sender ${i + 1} reply-to`} error={err(`senders.${i}.replyTo`)}>
              {(p) => <Input {...p} type="email" value={sender.replyTo ?? ""} onChange={(e) => setSender(i, { replyTo: e.target.value.trim() || undefined })} />}
            </Field>
            <Button variant="ghost" size="sm" aria-label={`Remove sender ${i + 1}`} disabled={settings.senders.length === 1} onClick={() => set({ senders: settings.senders.filter((_, j) => j !== i) })}>
              <Trash2 className="size-3.5" aria-hidden="true" />
            </Button>
          </div>
        ))}
        {settings.senders.length < 20 && (
          <Button variant="secondary" size="sm" onClick={() => set({ senders: [...settings.senders, { name: "", address: "" }] })}>
            <Plus className="size-3.5" aria-hidden="true" /> Add a sender
          </Button>
        )}
      </fieldset>
    </>
  );
}

function SmsFields({ settings, onChange, err, secret }: { settings: SmsSettings; onChange: (s: SmsSettings) => void; err: Err; secret: ReactNode }) {
  const set = (patch: Partial<SmsSettings>) => onChange({ ...settings, ...patch });
  return (
    <>
      <Field label="Account SID" error={err("accountSid")} hint="AC… from the Twilio console.">
        {(p) => <Input {...p} value={settings.accountSid} autoComplete="off" onChange={(e) => set({ accountSid: e.target.value.trim() })} />}
      </Field>
      <Field label="API key SID (optional)" error={err("apiKeySid")} hint="SK…: sign in with an API key instead of the auth token.">
        {(p) => <Input {...p} value={settings.apiKeySid ?? ""} autoComplete="off" onChange={(e) => set({ apiKeySid: e.target.value.trim() || undefined })} />}
      </Field>
      {secret}
      <Field label="From" error={err("from")} hint="A number like +4915123456789, or a sender name.">
        {(p) => <Input {...p} value={settings.from ?? ""} onChange={(e) => set({ from: e.target.value.trim() || undefined })} />}
      </Field>
      <Field label="Messaging service SID (optional)" error={err("messagingServiceSid")} hint="MG…: Twilio picks the number.">
        {(p) => <Input {...p} value={settings.messagingServiceSid ?? ""} onChange={(e) => set({ messagingServiceSid: e.target.value.trim() || undefined })} />}
      </Field>
      <Field label="API address" error={err("baseUrl")} hint="Change it only for a Twilio-compatible provider.">
        {(p) => <Input {...p} value={settings.baseUrl} onChange={(e) => set({ baseUrl: e.target.value.trim() })} />}
      </Field>
    </>
  );
}

function WebhookFields({ settings, onChange, err, secret }: { settings: WebhookSettings; onChange: (s: WebhookSettings) => void; err: Err; secret: ReactNode }) {
  const set = (patch: Partial<WebhookSettings>) => onChange({ ...settings, ...patch });
  const headers = Object.entries(settings.headers);
  const setHeaders = (rows: [string, string][]) => set({ headers: Object.fromEntries(rows) });
  return (
    <>
      <Field label="URL" error={err("url")} className="sm:col-span-2" hint="Checked against the outbound policy when saved and at every request.">
        {(p) => <Input {...p} value={settings.url} placeholder="https://hooks.example.com/junction" onChange={(e) => set({ url: e.target.value.trim() })} />}
      </Field>
      <Field label="Method" error={err("method")}>
        {(p) => (
          <Select {...p} value={settings.method} onChange={(e) => set({ method: e.target.value as WebhookSettings["method"] })}>
            {WEBHOOK_METHODS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Timeout (seconds)" error={err("timeoutMs")}>
        {(p) => <Input {...p} inputMode="numeric" value={String(Math.round(settings.timeoutMs / 1000))} onChange={(e) => set({ timeoutMs: (Number(e.target.value.replace(/[^0-9]/g, "")) || 0) * 1000 })} />}
      </Field>
      <fieldset className="space-y-2 sm:col-span-2">
        <legend className="text-sm font-medium text-slate-800">Headers</legend>
        {err("headers") && <p role="alert" className="text-xs font-medium text-red-600">{err("headers")}</p>}
        {headers.map(([key, value], i) => (
          <div key={i} className="grid grid-cols-[1fr_2fr_auto] items-start gap-2">
            <Field label={`Header ${i + 1} name`} error={err(`headers.${key}`)}>
              {(p) => <Input {...p} value={key} onChange={(e) => setHeaders(headers.map((h, j) => (j === i ? [e.target.value, h[1]] : h)))} />}
            </Field>
            <Field label={`Header ${i + 1} value`}>{(p) => <Input {...p} value={value} onChange={(e) => setHeaders(headers.map((h, j) => (j === i ? [h[0], e.target.value] : h)))} />}</Field>
            <Button variant="ghost" size="sm" className="mt-7" aria-label={`Remove header ${i + 1}`} onClick={() => setHeaders(headers.filter((_, j) => j !== i))}>
              <Trash2 className="size-3.5" aria-hidden="true" />
            </Button>
          </div>
        ))}
        <Button variant="secondary" size="sm" onClick={() => setHeaders([...headers, [`X-Header-${headers.length + 1}`, ""]])}>
          <Plus className="size-3.5" aria-hidden="true" /> Add a header
        </Button>
      </fieldset>
      {secret}
    </>
  );
}

function PushFields({
  settings,
  onChange,
  err,
  vapidStored,
  onVapidPrivateKey,
  serviceAccount,
}: {
  settings: PushSettings;
  onChange: (s: PushSettings) => void;
  err: Err;
  vapidStored: boolean;
  onVapidPrivateKey: (key: string | undefined) => void;
  serviceAccount: ReactNode;
}) {
  const trpc = useTRPC();
  const generate = useMutation(
    trpc.channels.vapidKeys.mutationOptions({
      onSuccess: (keys) => {
        onVapidPrivateKey(keys.privateKey);
        onChange({ ...settings, webPush: { subject: settings.webPush?.subject ?? "", publicKey: keys.publicKey } });
        toast.success("New VAPID keys: the private key is stored when you save.");
      },
    }),
  );
  return (
    <>
      <fieldset className="space-y-3 rounded-lg border border-slate-200 p-4 sm:col-span-2">
        <legend className="px-1 text-sm font-medium text-slate-800">
          <label className="inline-flex items-center gap-2">
            <input type="checkbox" className="size-4 rounded border-slate-300" checked={Boolean(settings.webPush)} onChange={(e) => onChange({ ...settings, webPush: e.target.checked ? { publicKey: "", subject: "" } : undefined })} /> Web Push (browsers)
          </label>
        </legend>
        {settings.webPush && (
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Contact (subject)" error={err("webPush.subject")} hint="mailto:you@company.com or https://… — push services contact you there.">
              {(p) => <Input {...p} value={settings.webPush!.subject} onChange={(e) => onChange({ ...settings, webPush: { ...settings.webPush!, subject: e.target.value.trim() } })} />}
            </Field>
            <div className="space-y-1.5">
              <p className="text-sm font-medium text-slate-800">VAPID keys</p>
              <Button variant="secondary" size="sm" loading={generate.isPending} onClick={() => generate.mutate()}>
                {settings.webPush.publicKey ? "Generate new keys" : "Generate keys"}
              </Button>
              <p className="text-xs text-slate-500">{vapidStored ? "Private key set (write-only)." : "No private key yet."} New keys invalidate existing browser subscriptions.</p>
            </div>
            {settings.webPush.publicKey && (
              <Field label="Public key (give it to your site’s pushManager.subscribe)" error={err("webPush.publicKey")} className="sm:col-span-2">
                {(p) => <Input {...p} readOnly value={settings.webPush!.publicKey} className="font-mono text-xs" />}
              </Field>
            )}
          </div>
        )}
      </fieldset>
      <fieldset className="space-y-3 rounded-lg border border-slate-200 p-4 sm:col-span-2">
        <legend className="px-1 text-sm font-medium text-slate-800">
          <label className="inline-flex items-center gap-2">
            <input type="checkbox" className="size-4 rounded border-slate-300" checked={Boolean(settings.fcm)} onChange={(e) => onChange({ ...settings, fcm: e.target.checked ? { projectId: "", baseUrl: "https://fcm.googleapis.com" } : undefined })} /> Firebase Cloud Messaging (apps)
          </label>
        </legend>
        {settings.fcm && (
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Firebase project ID" error={err("fcm.projectId")}>
              {(p) => <Input {...p} value={settings.fcm!.projectId} placeholder="acme-app-1234" onChange={(e) => onChange({ ...settings, fcm: { ...settings.fcm!, projectId: e.target.value.trim() } })} />}
            </Field>
            <Field label="API address" error={err("fcm.baseUrl")} hint="Change it only for tests.">
              {(p) => <Input {...p} value={settings.fcm!.baseUrl} onChange={(e) => onChange({ ...settings, fcm: { ...settings.fcm!, baseUrl: e.target.value.trim() } })} />}
            </Field>
            <div className="sm:col-span-2">{serviceAccount}</div>
          </div>
        )}
      </fieldset>
      {err("") && <p role="alert" className="text-xs font-medium text-red-600 sm:col-span-2">{err("")}</p>}
    </>
  );
}
