"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { FilePlus2, LayoutTemplate, X } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent, type ReactNode } from "react";
import { toast } from "sonner";
import { CHANNEL_LABELS } from "@/lib/messages/schema";
import { fieldErrors, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Modal } from "../ui/modal";
import { cn } from "../ui/cn";
import { Field, Input, Select } from "../ui/field";

const BLANK = "blank";

/**
 * "New journey": start blank or from a template (a card each, with its steps), give it a
 * name, and say for each segment and message the template needs whether to create it or
 * use one the workspace has (one with the same name is preselected). Creates and opens it
 * on the canvas.
 */
export function TemplatePicker({ open, onClose }: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [choice, setChoice] = useState(BLANK);
  const [name, setName] = useState("");
  const [nameTouched, setNameTouched] = useState(false);
  const [use, setUse] = useState<Record<string, string>>({});
  const templates = useQuery({ ...trpc.journeys.templates.queryOptions(), enabled: open });
  const starter = templates.data?.find((t) => t.key === choice);

  const opened = async (id: string) => {
    await queryClient.invalidateQueries({ queryKey: trpc.journeys.list.pathKey() });
    router.push(`/journeys/${id}`);
  };
  const createBlank = useMutation(trpc.journeys.create.mutationOptions({ onSuccess: ({ id }) => opened(id) }));
  const createFromTemplate = useMutation(
    trpc.journeys.createFromTemplate.mutationOptions({
      onSuccess: async ({ id, created }) => {
        if (created.length > 0) {
          await Promise.all([queryClient.invalidateQueries({ queryKey: trpc.segments.list.pathKey() }), queryClient.invalidateQueries({ queryKey: trpc.messages.list.pathKey() })]);
          toast.success(`Created “${name.trim()}”`, { description: `Also created: ${created.map((c) => c.name).join(", ")}.` });
        }
        await opened(id);
      },
    }),
  );
  const mutation = choice === BLANK ? createBlank : createFromTemplate;
  const error = mutation.error;
  const nameError = error ? (fieldErrors(error).name ?? (error instanceof TRPCClientError && error.data?.code === "CONFLICT" ? error.message : null)) : null;
  const otherError = error && !nameError ? error.message : null;

  const close = () => {
    createBlank.reset();
    createFromTemplate.reset();
    setChoice(BLANK);
    setName("");
    setNameTouched(false);
    setUse({});
    onClose();
  };

  const pick = (key: string) => {
    setChoice(key);
    createBlank.reset();
    createFromTemplate.reset();
    const picked = templates.data?.find((t) => t.key === key);
    if (!nameTouched) setName(picked?.name ?? "");
    // A segment or message with the need's name is probably this template's: use it, unless told otherwise.
    setUse(Object.fromEntries((picked?.needs ?? []).map((n) => [n.key, n.existing[0]?.id ?? "create"])));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (mutation.isPending) return;
    if (choice === BLANK) createBlank.mutate({ name });
    else createFromTemplate.mutate({ key: choice, name, use });
  };

  return (
    <Modal open={open} onClose={close} labelledBy="new-journey-title" width="max-w-5xl">
      {open && (
        <form onSubmit={submit} className="flex max-h-[90vh] flex-col">
          <div className="flex items-start justify-between gap-4 border-b border-slate-100 px-6 pt-5 pb-4">
            <div>
              <h2 id="new-journey-title" className="text-base font-semibold text-slate-900">
                New journey
              </h2>
              <p className="mt-0.5 text-sm text-slate-500">Start from scratch, or from a journey that already works — you can change every step afterwards.</p>
            </div>
            <Button variant="ghost" size="sm" aria-label="Close" onClick={close}>
              <X className="size-4" aria-hidden="true" />
            </Button>
          </div>

          <div className="grid min-h-0 flex-1 overflow-y-auto md:grid-cols-[minmax(0,1fr)_20rem] md:overflow-hidden">
            <fieldset className="min-h-0 px-6 py-4 md:overflow-y-auto">
              <legend className="float-left mb-2 text-sm font-medium text-slate-800">Start from</legend>
              <div className="clear-left space-y-2.5" data-testid="journey-templates">
                <StartCard
                  value={BLANK}
                  checked={choice === BLANK}
                  onPick={pick}
                  icon={<FilePlus2 className="size-4" aria-hidden="true" />}
                  title="Blank"
                  description="Only a trigger: build the journey step by step."
                />
                {templates.isPending && Array.from({ length: 3 }, (_, i) => <div key={i} className="h-24 animate-pulse rounded-lg bg-slate-100" aria-hidden="true" />)}
                {templates.isError && (
                  <p role="alert" className="text-sm text-red-600">
                    The templates could not be loaded: {templates.error.message}
                  </p>
                )}
                {templates.data?.map((t) => (
                  <StartCard
                    key={t.key}
                    value={t.key}
                    checked={choice === t.key}
                    onPick={pick}
                    icon={<LayoutTemplate className="size-4" aria-hidden="true" />}
                    title={t.name}
                    badge={t.phase}
                    description={t.description}
                    steps={t.steps}
                  />
                ))}
              </div>
            </fieldset>

            <div className="min-h-0 space-y-5 border-t border-slate-100 bg-slate-50/60 px-6 py-4 md:overflow-y-auto md:border-t-0 md:border-l">
              <Field label="Name" error={nameError}>
                {(p) => <Input {...p} required maxLength={120} value={name} placeholder="Tariff calculator nudge" onChange={(e) => (setName(e.target.value), setNameTouched(true))} />}
              </Field>

              {starter && starter.needs.length > 0 ? (
                <section aria-labelledby="journey-needs-title" className="space-y-3">
                  <div>
                    <h3 id="journey-needs-title" className="text-sm font-medium text-slate-800">
                      What it needs
                    </h3>
                    <p className="text-xs text-slate-500">New ones are created with the journey, ready to edit — or use what you already have.</p>
                  </div>
                  {starter.needs.map((n) => {
                    const kind = n.kind === "segment" ? "segment" : `${n.channel ? CHANNEL_LABELS[n.channel] : ""} message`;
                    const value = use[n.key] ?? "create";
                    const picked = value !== "create";
                    return (
                      <Field
                        key={n.key}
                        label={`${n.name} (${kind})`}
                        hint={picked ? (n.existing.some((e) => e.id === value) ? "Already in this workspace: used as it is." : "Used as it is.") : (n.description ?? "Created with a first draft of the text, ready to edit.")}
                      >
                        {(p) => (
                          <Select {...p} value={value} onChange={(e) => setUse((u) => ({ ...u, [n.key]: e.target.value }))}>
                            <option value="create">Create “{n.name}”</option>
                            {n.candidates.length > 0 && (
                              <optgroup label={`Use an existing ${kind}`}>
                                {n.candidates.map((c) => (
                                  <option key={c.id} value={c.id}>
                                    {c.name}
                                  </option>
                                ))}
                              </optgroup>
                            )}
                          </Select>
                        )}
                      </Field>
                    );
                  })}
                </section>
              ) : (
                <p className="text-sm text-slate-500">{choice === BLANK ? "It starts with its trigger; add steps on the canvas." : "It needs no segments or messages."}</p>
              )}
            </div>
          </div>

          <div className="flex items-center justify-end gap-3 rounded-b-xl border-t border-slate-100 bg-slate-50 px-6 py-3">
            {otherError && (
              <p role="alert" className="mr-auto text-sm text-red-600">
                {otherError}
              </p>
            )}
            <Button variant="secondary" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={mutation.isPending} disabled={choice !== BLANK && !starter}>
              Create
            </Button>
          </div>
        </form>
      )}
    </Modal>
  );
}

/** One way to start: a radio drawn as a card — the (unstyled) radio covers the card and carries its focus outline; arrow keys move between them like any radio group. */
function StartCard(props: {
  value: string;
  checked: boolean;
  onPick: (value: string) => void;
  icon: ReactNode;
  title: string;
  badge?: string;
  description: string;
  steps?: string[];
}) {
  const descriptionId = `start-${props.value}-description`;
  const stepsId = `start-${props.value}-steps`;
  const titleId = `start-${props.value}-title`;
  return (
    <label
      className={cn(
        "relative flex cursor-pointer flex-col rounded-lg border p-3.5 shadow-xs transition-colors",
        props.checked ? "border-brand-500 bg-brand-50/60 ring-1 ring-brand-500" : "border-slate-200 bg-white hover:border-brand-200 hover:bg-brand-50/30",
      )}
    >
      <input
        type="radio"
        name="journey-start"
        value={props.value}
        checked={props.checked}
        onChange={() => props.onPick(props.value)}
        aria-labelledby={titleId}
        aria-describedby={props.steps ? `${descriptionId} ${stepsId}` : descriptionId}
        className="absolute inset-0 z-10 size-full cursor-pointer appearance-none rounded-lg bg-transparent"
      />
      <span className="flex items-center gap-2">
        <span className={cn("flex size-6 items-center justify-center rounded-md", props.checked ? "bg-brand-600 text-white" : "bg-brand-50 text-brand-700")}>{props.icon}</span>
        <span id={titleId} className="text-sm font-semibold text-slate-900">
          {props.title}
        </span>
        {props.badge && (
          <Badge className="ml-auto capitalize" tone="slate">
            {props.badge}
          </Badge>
        )}
      </span>
      <span id={descriptionId} className="mt-1.5 block text-sm text-slate-600">
        {props.description}
      </span>
      {props.steps && (
        <ol id={stepsId} className="mt-2 flex flex-wrap items-center gap-x-1 gap-y-0.5 text-xs text-slate-500" aria-label={`Steps of ${props.title}`}>
          {props.steps.map((step, i) => (
            <li key={i} className="after:ml-1 after:text-slate-300 after:content-['→'] last:after:content-none">
              {step}
            </li>
          ))}
        </ol>
      )}
    </label>
  );
}
