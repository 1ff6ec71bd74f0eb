"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, History } from "lucide-react";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useState } from "react";
import { toast } from "sonner";
import { can } from "@/lib/auth/roles";
import { relativeTime } from "@/lib/format";
import type { TemplateError } from "@/lib/messages/render";
import { TEMPLATE_FIELDS, type TemplateContent } from "@/lib/messages/schema";
import { smsLength } from "@/lib/messages/sms";
import { errorMessage, fieldErrors, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { Field, Input, Select } from "../ui/field";
import { QueryError } from "../ui/query-error";
import { useLeaveGuard } from "../ui/use-leave-guard";
import { SmsCounter } from "./sms-counter";
import { ChannelBadge } from "./template-list";
import { TemplatePreview } from "./template-preview";

// CodeMirror measures the DOM: it renders in the browser only.
const CodeEditor = dynamic(() => import("./code-editor").then((m) => m.CodeEditor), {
  ssr: false,
  loading: () => <div className="h-48 animate-pulse rounded-md bg-slate-100" />,
});

const NO_KEYS: string[] = [];
const NO_ERRORS: TemplateError[] = [];

type Saved = ReturnType<typeof useSavedTemplate>["data"] & {};

function useSavedTemplate(templateId: string) {
  const trpc = useTRPC();
  return useQuery(trpc.messages.get.queryOptions({ id: templateId }));
}

/** One template: its Liquid fields on the left, the live preview, test send and versions on the right. */
export function TemplateEditor({ templateId }: { templateId: string }) {
  const template = useSavedTemplate(templateId);
  if (template.isError) return <QueryError error={template.error} what="this template" onRetry={() => void template.refetch()} retrying={template.isRefetching} />;
  if (!template.data) return <div className="h-96 animate-pulse rounded-xl bg-slate-100" aria-label="Loading template" />;
  // The editor starts from what is saved; a refetch of the saved template does not overwrite edits.
  return <EditorBody key={template.data.id} templateId={templateId} saved={template.data} />;
}

function EditorBody({ templateId, saved }: { templateId: string; saved: Saved }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const traits = useQuery(trpc.segments.traitKeys.queryOptions());
  const canEdit = can(workspace.data?.role, "messages.edit");

  const [name, setName] = useState(saved.name);
  const [content, setContent] = useState<TemplateContent>(saved.content);
  const [renderErrors, setRenderErrors] = useState<TemplateError[]>([]);

  const dirty = name !== saved.name || JSON.stringify(content) !== JSON.stringify(saved.content);
  useLeaveGuard(dirty && canEdit, "Leave this template? Your unsaved changes will be lost.");

  const save = useMutation(
    trpc.messages.save.mutationOptions({
      onSuccess: async (result) => {
        toast.success(result.created ? `Saved as version ${result.version}` : "Saved — nothing changed since the last version");
        await queryClient.invalidateQueries({ queryKey: trpc.messages.pathKey() });
        const fresh = await queryClient.fetchQuery(trpc.messages.get.queryOptions({ id: templateId }));
        setContent(fresh.content);
        setName(fresh.name);
      },
    }),
  );
  const doSave = useCallback(() => {
    if (canEdit && !save.isPending) save.mutate({ id: templateId, name, content });
  }, [content, name, canEdit, save, templateId]);

  // Ctrl/⌘+S saves, from anywhere on the page (also inside the code editor).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "s") {
        e.preventDefault();
        doSave();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [doSave]);

  const errorsFor = useMemo(() => {
    const map = new Map<string, TemplateError[]>();
    for (const e of renderErrors) map.set(e.field, [...(map.get(e.field) ?? []), e]);
    return map;
  }, [renderErrors]);
  const saveErrors = fieldErrors(save.error);
  const traitKeys = useMemo(() => traits.data?.map((t) => t.key) ?? NO_KEYS, [traits.data]);

  const set = (key: string, value: string) => setContent((c) => ({ ...c, [key]: value }) as TemplateContent);
  const latest = saved.versions[0];


  return (
    <>
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0 flex-1">
          <Link href="/messages" className="inline-flex items-center gap-1 text-sm text-slate-500 hover:text-slate-800">
            <ArrowLeft className="size-3.5" aria-hidden="true" /> Messages
          </Link>
          <div className="mt-1 flex flex-wrap items-center gap-3">
            <input
              aria-label="Template name"
              value={name}
              readOnly={!canEdit}
              onChange={(e) => setName(e.target.value)}
              className="min-w-0 flex-1 truncate rounded-md border-0 bg-transparent px-1 py-0.5 text-2xl font-semibold tracking-tight text-slate-900 hover:bg-slate-100 focus:bg-white focus:ring-2 focus:ring-brand-500 focus:outline-none"
            />
          </div>
          {saveErrors.name && <p role="alert" className="mt-1 text-xs font-medium text-red-600">Name {saveErrors.name}</p>}
          <p className="mt-1 flex flex-wrap items-center gap-2 px-1 text-sm text-slate-500" data-testid="version-line">
            <ChannelBadge channel={saved.channel} />
            {latest ? `Version ${latest.version} · saved ${relativeTime(latest.createdAt)}${latest.createdBy ? ` by ${latest.createdBy}` : ""}` : "Not saved yet"}
            {dirty && <span className="ml-2 font-medium text-amber-700">· unsaved changes</span>}
          </p>
        </div>
        {canEdit && (
          <div className="flex items-center gap-2">
            {dirty && (
              <Button variant="ghost" onClick={() => (setContent(saved.content), setName(saved.name), save.reset())}>
                Discard changes
              </Button>
            )}
            <Button onClick={doSave} loading={save.isPending} disabled={!dirty} title="Save (Ctrl+S)">
              Save
            </Button>
          </div>
        )}
      </div>
      {save.isError && !saveErrors.name && (
        <p role="alert" className="mb-4 rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
          Not saved: {Object.keys(saveErrors).length > 0 ? Object.entries(saveErrors).map(([k, v]) => `${k.replace(/^content\./, "")} ${v}`).join("; ") : errorMessage(save.error)}
        </p>
      )}

      <div className="grid items-start gap-6 xl:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <Card>
          <CardHeader title="Content" description={<>Liquid: <code className="text-xs">{"{{ person.first_name }}"}</code>, <code className="text-xs">{"{{ event.properties.x }}"}</code>, <code className="text-xs">{"{% render 'footer' %}"}</code>.</>} />
          <CardBody className="space-y-5">
            <GroupPicker content={content} canEdit={canEdit} onChange={(groupId) => setContent((c) => ({ ...c, subscriptionGroupId: groupId }))} />
            {TEMPLATE_FIELDS[content.channel].map((field) => {
              const value = (content as unknown as Record<string, string>)[field.key] ?? "";
              const errors = errorsFor.get(field.key) ?? [];
              const saveError = saveErrors[`content.${field.key}`];
              const message = saveError ?? (errors[0] ? `${errors[0].line ? `Line ${errors[0].line}, column ${errors[0].column}: ` : ""}${errors[0].message}` : null);
              const hint =
                content.channel === "email" && field.key === "text"
                  ? "Leave empty to generate it from the HTML."
                  : content.channel === "email" && field.key === "preheader"
                    ? "Shown after the subject in most inboxes."
                    : undefined;
              return field.multiline ? (
                <div key={field.key} className="space-y-1.5">
                  <span className="block text-sm font-medium text-slate-800" id={`field-${field.key}`}>
                    {field.label}
                  </span>
                  <CodeEditor
                    label={field.label}
                    value={value}
                    onChange={(v) => set(field.key, v)}
                    htmlBase={field.html === true}
                    errors={errors.length > 0 ? errors : NO_ERRORS}
                    traitKeys={traitKeys}
                    minHeight={field.html ? "20rem" : "8rem"}
                    readOnly={!canEdit}
                  />
                  {content.channel === "sms" && <SmsCounter length={smsLength(value)} what="template (before Liquid)" />}
                  {hint && !message && <p className="text-xs text-slate-500">{hint}</p>}
                  {message && (
                    <p role="alert" className="text-xs font-medium text-red-600" data-testid={`error-${field.key}`}>
                      {message}
                    </p>
                  )}
                </div>
              ) : (
                <Field key={field.key} label={field.label} hint={hint} error={message}>
                  {(p) => <Input {...p} value={value} readOnly={!canEdit} onChange={(e) => set(field.key, e.target.value)} />}
                </Field>
              );
            })}
          </CardBody>
        </Card>

        <div className="space-y-6">
          <TemplatePreview templateId={templateId} content={content} dirty={dirty} canSend={canEdit} onErrors={setRenderErrors} />
          <Card>
            <CardHeader title="Versions" description="Every save that changes something is a version; journeys keep the one they were published with." />
            <ul className="divide-y divide-slate-100 text-sm">
              {saved.versions.map((v, i) => (
                <li key={v.id} className="flex items-center justify-between gap-3 px-5 py-2.5">
                  <span className="flex items-center gap-2">
                    <History className="size-3.5 text-slate-400" aria-hidden="true" />
                    <span className="font-medium text-slate-900">v{v.version}</span>
                    {i === 0 && <span className="text-xs text-slate-500">(latest)</span>}
                  </span>
                  <span className="flex-1 truncate text-slate-500">
                    {relativeTime(v.createdAt)}
                    {v.createdBy ? ` by ${v.createdBy}` : ""}
                  </span>
                  {canEdit && i > 0 && (
                    <Button variant="ghost" size="sm" onClick={() => setContent(v.content)} aria-label={`Load version ${v.version} into the editor`}>
                      Load
                    </Button>
                  )}
                </li>
              ))}
            </ul>
          </Card>
        </div>
      </div>
    </>
  );
}

/**
 * The subscription group a message belongs to: who left it (or never joined an opt-in one)
 * is not sent it. None: a transactional message, sent regardless (an order confirmation).
 */
function GroupPicker({ content, canEdit, onChange }: { content: TemplateContent; canEdit: boolean; onChange: (groupId: string | null) => void }) {
  const trpc = useTRPC();
  const groups = useQuery(trpc.consent.groups.queryOptions());
  const mine = (groups.data ?? []).filter((g) => g.channel === content.channel);
  const chosen = mine.find((g) => g.id === content.subscriptionGroupId);
  const missing = content.subscriptionGroupId !== null && groups.isSuccess && !chosen;
  return (
    <Field
      label="Subscription group"
      error={missing ? "This group no longer exists: choose another, or none." : null}
      hint={
        chosen
          ? `${chosen.purpose === "marketing" ? "Marketing" : "Transactional"}, ${chosen.mode === "opt_in" ? "opt-in: only people who said yes get it" : "opt-out: everyone who has not left it gets it"}.`
          : "None: transactional, sent to everyone it is meant for. Marketing messages belong to a group people can leave."
      }
    >
      {(p) => (
        <Select {...p} value={content.subscriptionGroupId ?? ""} disabled={!canEdit} onChange={(e) => onChange(e.target.value || null)}>
          <option value="">None (transactional)</option>
          {mine.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
          {missing && <option value={content.subscriptionGroupId!}>(deleted group)</option>}
        </Select>
      )}
    </Field>
  );
}
