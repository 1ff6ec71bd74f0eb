"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { Bell, Monitor, Send, Smartphone } from "lucide-react";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { CHANNEL_LABELS, type TemplateContent } from "@/lib/messages/schema";
import { TEST_RECIPIENT } from "@/lib/channels/kinds";
import type { TemplateError } from "@/lib/messages/render";
import { parseJsonObject } from "@/lib/json";
import { personLabel } from "@/lib/profiles/display";
import { PersonPicker, type PickedPerson as Person } from "../profiles/person-picker";
import { errorMessage, fieldErrors, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { Field, Input, Select } from "../ui/field";
import { cn } from "../ui/cn";
import { useDebounced } from "../ui/use-debounced";
import { SmsCounter } from "./sms-counter";

type PreviewData = ReturnType<typeof useTRPC>["messages"]["preview"]["~types"]["output"];
const NO_ERRORS: TemplateError[] = [];


/**
 * The live preview: the editor's unsaved content rendered on the server for a chosen person
 * (or an example person) and the event that would trigger it; render errors go back to the
 * editor to be marked. Below it, the test send.
 */
export function TemplatePreview({
  templateId,
  content,
  dirty,
  canSend,
  onErrors,
}: {
  templateId: string;
  content: TemplateContent;
  dirty: boolean;
  canSend: boolean;
  onErrors: (errors: TemplateError[]) => void;
}) {
  const trpc = useTRPC();
  const [person, setPerson] = useState<Person | null>(null);
  const [eventMode, setEventMode] = useState<"latest" | "custom">("latest");
  const [eventName, setEventName] = useState("tariff_calculator_opened");
  const [eventJson, setEventJson] = useState('{\n  "tariff": "Flex 12"\n}');
  const [width, setWidth] = useState<"desktop" | "mobile">("desktop");

  const parsed = eventMode === "custom" ? parseJsonObject(eventJson, "Properties") : { value: null, error: null };
  const eventProperties = parsed.value;
  const eventJsonError = parsed.error;
  const event = eventMode === "custom" && eventProperties && eventName.trim() ? { name: eventName.trim(), properties: eventProperties } : null;
  // Rendered a moment after typing stops; the last answer stays on screen while the next renders,
  // and an answer that arrives after a newer request was made is dropped.
  const wanted = useDebounced(JSON.stringify({ content, profileId: person?.id ?? null, event }), 350);
  const preview = useMutation(trpc.messages.preview.mutationOptions());
  const { mutate } = preview;
  const [shown, setShown] = useState<{ key: string; data: PreviewData } | null>(null);
  const latest = useRef(wanted);
  useEffect(() => {
    latest.current = wanted;
    mutate(JSON.parse(wanted) as Parameters<typeof mutate>[0], { onSuccess: (data) => latest.current === wanted && setShown({ key: wanted, data }) });
  }, [wanted, mutate]);
  const rendering = preview.isPending || shown?.key !== wanted;
  const data = shown?.data;
  const result = data?.result;
  useEffect(() => onErrors(result && !result.ok ? result.errors : NO_ERRORS), [result, onErrors]);

  return (
    <>
      <Card>
        <CardHeader
          title="Preview"
          description={rendering ? "Rendering…" : data?.person ? `As ${personLabel(data.person).primary} would get it` : "With an example person: choose a real one below"}
          actions={
            content.channel === "email" && (
              <div className="flex rounded-md ring-1 ring-slate-200" role="group" aria-label="Preview width">
                {(["desktop", "mobile"] as const).map((w) => (
                  <button
                    key={w}
                    type="button"
                    aria-pressed={width === w}
                    title={w === "desktop" ? "Desktop" : "Mobile"}
                    onClick={() => setWidth(w)}
                    className={cn("px-2 py-1 text-slate-500 first:rounded-l-md last:rounded-r-md", width === w && "bg-slate-100 text-slate-900")}
                  >
                    {w === "desktop" ? <Monitor className="size-4" aria-hidden="true" /> : <Smartphone className="size-4" aria-hidden="true" />}
                    <span className="sr-only">{w}</span>
                  </button>
                ))}
              </div>
            )
          }
        />
        <CardBody className="space-y-4">
          <div className="grid gap-3 sm:grid-cols-2">
            <PersonPicker person={person} onChange={setPerson} />
            <Field label="Triggering event">
              {(p) => (
                <Select {...p} value={eventMode} onChange={(e) => setEventMode(e.target.value as "latest" | "custom")}>
                  <option value="latest">{person ? "The person’s latest event" : "An example event"}</option>
                  <option value="custom">An event I describe</option>
                </Select>
              )}
            </Field>
          </div>
          {eventMode === "custom" && (
            <div className="grid gap-3 sm:grid-cols-[12rem_1fr]">
              <Field label="Event name">{(p) => <Input {...p} value={eventName} onChange={(e) => setEventName(e.target.value)} />}</Field>
              <Field label="Properties (JSON)" error={eventJsonError}>
                {(p) => (
                  <textarea
                    {...p}
                    value={eventJson}
                    onChange={(e) => setEventJson(e.target.value)}
                    rows={3}
                    spellCheck={false}
                    className="block w-full rounded-md border-0 px-3 py-2 font-mono text-xs text-slate-900 ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-brand-500 focus:outline-none"
                  />
                )}
              </Field>
            </div>
          )}
          <div aria-live="polite" data-testid="preview">
            {preview.isError ? (
              <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
                {errorMessage(preview.error)}
              </p>
            ) : !result ? (
              <div className="h-48 animate-pulse rounded-lg bg-slate-100" />
            ) : !result.ok ? (
              <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800" data-testid="preview-errors">
                <p className="font-medium">This template does not render{data?.person ? ` for ${personLabel(data.person).primary}` : ""}:</p>
                <ul className="mt-1 list-disc space-y-0.5 pl-5">
                  {result.errors.map((e, i) => (
                    <li key={i}>
                      <span className="font-medium">{fieldLabel(content, e.field)}</span>
                      {e.line ? `, line ${e.line}, column ${e.column}` : ""}: {e.message}
                    </li>
                  ))}
                </ul>
              </div>
            ) : (
              <RenderedMessage channel={content.channel} output={result.output} width={width} />
            )}
            {data?.sms && <div className="mt-2"><SmsCounter length={data.sms} what="as rendered" /></div>}
          </div>
        </CardBody>
      </Card>
      {canSend && <TestSend templateId={templateId} content={content} dirty={dirty} person={person} event={event} />}
    </>
  );
}

function fieldLabel(content: TemplateContent, key: string): string {
  const labels: Record<string, string> = { subject: "Subject", preheader: "Preheader", html: "HTML body", text: "Text", title: "Title", body: "Body", url: "Link", icon: "Icon", buttonLabel: "Button label", buttonUrl: "Button link" };
  return labels[key] ?? `${CHANNEL_LABELS[content.channel]} ${key}`;
}

export function RenderedMessage({ channel, output, width }: { channel: TemplateContent["channel"]; output: Record<string, string>; width: "desktop" | "mobile" }) {
  switch (channel) {
    case "email":
      return (
        <div className="overflow-hidden rounded-lg border border-slate-200">
          <div className="border-b border-slate-100 bg-slate-50 px-4 py-2.5 text-sm">
            <p className="font-semibold text-slate-900" data-testid="preview-subject">{output.subject || <span className="text-slate-400">(no subject)</span>}</p>
            {output.preheader && <p className="truncate text-slate-500">{output.preheader}</p>}
          </div>
          <div className="flex justify-center bg-slate-100/60">
            {/* No scripts, no same-origin: the rendered email cannot reach the app. */}
            <iframe
              title="Rendered email"
              sandbox=""
              srcDoc={output.html}
              className={cn("h-[28rem] bg-white", width === "mobile" ? "w-[375px]" : "w-full")}
            />
          </div>
          <details className="border-t border-slate-100 px-4 py-2 text-sm">
            <summary className="cursor-pointer text-slate-600">Text version</summary>
            <pre className="mt-2 max-h-60 overflow-auto text-xs whitespace-pre-wrap text-slate-700">{output.text}</pre>
          </details>
        </div>
      );
    case "sms":
      return (
        <div className="flex justify-start rounded-lg bg-slate-50 p-4">
          <p className="max-w-xs rounded-2xl rounded-bl-sm bg-white px-4 py-2.5 text-sm whitespace-pre-wrap text-slate-900 shadow-sm ring-1 ring-slate-200" data-testid="preview-sms">
            {output.text}
          </p>
        </div>
      );
    case "push":
      return (
        <div className="rounded-lg bg-slate-800 p-4">
          <div className="flex gap-3 rounded-xl bg-white/95 p-3 shadow">
            <div className="flex size-9 shrink-0 items-center justify-center rounded-lg bg-brand-600 text-white">
              <Bell className="size-4" aria-hidden="true" />
            </div>
            <div className="min-w-0 text-sm">
              <p className="font-semibold text-slate-900">{output.title}</p>
              <p className="text-slate-700">{output.body}</p>
              {output.url && <p className="mt-1 truncate text-xs text-slate-500">Opens {output.url}</p>}
            </div>
          </div>
        </div>
      );
    case "webhook":
      return <pre className="max-h-96 overflow-auto rounded-lg bg-slate-900 p-4 text-xs text-slate-100">{output.body}</pre>;
    case "inapp":
      return (
        <div className="rounded-lg bg-slate-50 p-4">
          <div className="max-w-sm rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
            <p className="font-semibold text-slate-900">{output.title}</p>
            <p className="mt-1 text-sm whitespace-pre-wrap text-slate-700">{output.body}</p>
            {output.buttonLabel && <span className="mt-3 inline-flex rounded-md bg-brand-600 px-3 py-1.5 text-sm font-medium text-white">{output.buttonLabel}</span>}
          </div>
        </div>
      );
  }
}

function TestSend({
  templateId,
  content,
  dirty,
  person,
  event,
}: {
  templateId: string;
  content: TemplateContent;
  dirty: boolean;
  person: Person | null;
  event: { name: string; properties: Record<string, unknown> } | null;
}) {
  const trpc = useTRPC();
  const channels = useQuery(trpc.channels.list.queryOptions());
  const usable = (channels.data ?? []).filter((c) => c.kind === content.channel);
  const [channelId, setChannelId] = useState("");
  // Until something is typed, an email goes to the chosen person's address.
  const [typed, setTo] = useState<string | null>(null);
  const to = typed ?? (content.channel === "email" ? (person?.email ?? "") : content.channel === "inapp" ? (person?.userId ?? "") : "");
  const send = useMutation(trpc.messages.sendTest.mutationOptions());
  const errors = fieldErrors(send.error);
  const chosen = channelId || usable[0]?.id || "";
  const chosenChannel = usable.find((c) => c.id === chosen);
  const senders = chosenChannel?.kind === "email" ? chosenChannel.settings.senders : [];
  const [sender, setSender] = useState(0);
  const outcome = send.data;
  return (
    <Card>
      <CardHeader title="Send a test" description={`The latest saved version${person ? `, rendered for ${personLabel(person).primary}` : ""}. It is logged under Deliveries like every send.`} />
      <CardBody>
        {channels.isSuccess && usable.length === 0 ? (
          <p className="text-sm text-slate-500">
            No {CHANNEL_LABELS[content.channel].toLowerCase()} channel is connected.{" "}
            <Link href="/settings/channels" className="font-medium text-brand-700 hover:underline">
              Settings → Channels
            </Link>
          </p>
        ) : (
          <form
            className="flex flex-wrap items-end gap-3"
            onSubmit={(e) => {
              e.preventDefault();
              send.mutate({ templateId, channelId: chosen, to: chosenChannel?.kind === "webhook" ? chosenChannel.settings.url : to, profileId: person?.id ?? null, event, sender: senders.length > 1 ? sender : undefined });
            }}
          >
            {usable.length > 1 && (
              <Field label="Channel" className="w-44">
                {(p) => (
                  <Select {...p} value={chosen} onChange={(e) => setChannelId(e.target.value)}>
                    {usable.map((c) => (
                      <option key={c.id} value={c.id}>
                        {c.name}
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
            )}
            {senders.length > 1 && (
              <Field label="From" className="w-56">
                {(p) => (
                  <Select {...p} value={String(sender)} onChange={(e) => setSender(Number(e.target.value))}>
                    {senders.map((s, i) => (
                      <option key={i} value={i}>
                        {s.name} &lt;{s.address}&gt;
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
            )}
            {content.channel !== "webhook" && (
              <Field label={TEST_RECIPIENT[content.channel].label} error={errors.to} className="min-w-56 flex-1">
                {(p) => <Input {...p} type={content.channel === "email" ? "email" : "text"} value={to} required placeholder={TEST_RECIPIENT[content.channel].placeholder} onChange={(e) => setTo(e.target.value)} />}
              </Field>
            )}
            <Button type="submit" variant="secondary" loading={send.isPending} disabled={!chosen}>
              <Send className="size-4" aria-hidden="true" /> Send test
            </Button>
          </form>
        )}
        {dirty && <p className="mt-2 text-xs text-amber-700">You have unsaved changes: the test sends the latest saved version.</p>}
        {send.isError && !errors.to && (
          <p role="alert" className="mt-3 text-sm text-red-700">
            {errorMessage(send.error)}
          </p>
        )}
        {outcome && (
          <p
            role="status"
            data-testid="test-send-outcome"
            className={cn("mt-3 rounded-md px-3 py-2 text-sm", outcome.status === "sent" ? "bg-emerald-50 text-emerald-800" : outcome.status === "suppressed" ? "bg-amber-50 text-amber-900" : "bg-red-50 text-red-800")}
          >
            {outcome.status === "sent" ? `Sent to ${send.variables?.to}: ${outcome.message}` : outcome.message}{" "}
            <Link href="/messages/deliveries" className="font-medium underline">
              See deliveries
            </Link>
          </p>
        )}
      </CardBody>
    </Card>
  );
}
