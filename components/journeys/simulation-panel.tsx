"use client";

import { useMutation } from "@tanstack/react-query";
import { FlaskConical, Play, RotateCcw, Zap } from "lucide-react";
import { useState } from "react";
import { nodeLabel } from "@/lib/journeys/describe";
import { parseJsonObject } from "@/lib/json";
import type { JourneyDefinition } from "@/lib/journeys/schema";
import { CHANNEL_LABELS, TEMPLATE_FIELDS } from "@/lib/messages/schema";
import { formatDateTime, formatDuration, formatValue } from "@/lib/format";
import { Explanation } from "../segments/explanation";
import { useSegmentChoices } from "../conditions/suggestions";
import { PersonPicker, type PickedPerson } from "../profiles/person-picker";
import { errorMessage, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Button, Spinner } from "../ui/button";
import { cn } from "../ui/cn";
import { Field, Input, Select } from "../ui/field";
import { NODE_ICONS } from "./journey-node";

type SimulateInput = ReturnType<typeof useTRPC>["journeys"]["simulate"]["~types"]["input"];
type Simulation = ReturnType<typeof useTRPC>["journeys"]["simulate"]["~types"]["output"];
type Entry = Simulation["entries"][number];
type Step = NonNullable<SimulateInput["steps"]>[number];
type Position = Simulation["position"];

const HOUR = 3_600_000;
const QUICK_ADVANCES = [
  { label: "1 h", ms: HOUR },
  { label: "24 h", ms: 24 * HOUR },
  { label: "2 days", ms: 48 * HOUR },
] as const;
const UNIT_MS = { minutes: 60_000, hours: HOUR, days: 24 * HOUR } as const;

const END_REASONS: Record<NonNullable<Position["ended"]>["reason"], string> = {
  completed: "reached the end",
  exit_criteria: "met the exit criteria",
  goal: "reached the goal (a conversion)",
  no_path: "had no next step",
};

/** A JSON object typed into a textarea, or why it is not one. */
/** What a simulation depends on: the journey without where its nodes sit on the canvas. */
function graphKey(definition: JourneyDefinition): string {
  return JSON.stringify({ ...definition, nodes: definition.nodes.map((n) => ({ ...n, position: undefined })) });
}

/** "+1 day 2 h" after the start of the simulated clock. */
function elapsed(from: string, to: string): string {
  const ms = Date.parse(to) - Date.parse(from);
  if (ms <= 0) return "start";
  const days = Math.floor(ms / (24 * HOUR));
  const hours = Math.floor((ms % (24 * HOUR)) / HOUR);
  const minutes = Math.round((ms % HOUR) / 60_000);
  const parts = [days ? formatDuration({ amount: days, unit: "days" }) : "", hours ? `${hours} h` : "", minutes ? `${minutes} min` : ""].filter(Boolean);
  return `+${parts.join(" ")}`;
}

const textareaClass =
  "block w-full rounded-md border-0 px-3 py-2 font-mono text-xs text-slate-900 ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-brand-500 focus:outline-none aria-[invalid=true]:ring-red-400";


/**
 * Simulation: a real person (searched) or a described one walked through the journey as it
 * is on the canvas, with simulated time — "advance 24 h", "they perform X now". Each step
 * runs the journey's interpreter on the server from the start (sending nothing, changing
 * nothing) and shows what happened: the decisions with why, every message as that person
 * would get it, where they are now. `onPath` gets the nodes passed and where the person
 * waits, for the canvas to highlight.
 */
export function SimulationPanel({
  definition,
  onPath,
  journeyId,
}: {
  definition: JourneyDefinition;
  onPath: (p: { visited: string[]; at: string | null }) => void;
  /** The saved journey: a split then puts the person in the arm the live journey would. */
  journeyId?: string;
}) {
  const trpc = useTRPC();
  const [mode, setMode] = useState<"real" | "described">("real");
  const [person, setPerson] = useState<PickedPerson | null>(null);
  const [traitsText, setTraitsText] = useState('{\n  "first_name": "Alex",\n  "plan": "free"\n}');
  const [triggerText, setTriggerText] = useState("");
  const [session, setSession] = useState<{ steps: Step[]; result: Simulation; definition: JourneyDefinition; input: Omit<SimulateInput, "definition" | "steps" | "startedAt"> } | null>(null);
  const simulate = useMutation(trpc.journeys.simulate.mutationOptions());

  const trigger = definition.nodes.find((n) => n.kind === "trigger");
  const eventTrigger = trigger?.kind === "trigger" && trigger.trigger.type === "event" ? trigger.trigger : null;
  const traits = parseJsonObject(traitsText, "Traits");
  const triggerProperties = parseJsonObject(triggerText, "Properties");
  const who: SimulateInput["person"] | null = mode === "real" ? (person ? { profileId: person.id } : null) : traits.value ? { traits: traits.value, events: [] } : null;
  const canStart = who !== null && (!eventTrigger || triggerProperties.value !== null);

  function run(input: Omit<SimulateInput, "definition" | "steps" | "startedAt">, steps: Step[], startedAt: string | undefined) {
    simulate.mutate(
      { ...input, definition, steps, startedAt },
      {
        onSuccess: (result) => {
          setSession({ steps, result, definition, input });
          onPath({ visited: result.visited, at: result.position.at ?? result.position.ended?.nodeId ?? null });
        },
      },
    );
  }
  function start() {
    if (!who) return;
    run({ person: who, journeyId, ...(eventTrigger && triggerText.trim() ? { triggerProperties: triggerProperties.value ?? {} } : {}) }, [], undefined);
  }
  function step(next: Step) {
    if (!session) return;
    run(session.input, [...session.steps, next], session.result.startedAt);
  }
  function reset() {
    simulate.reset();
    setSession(null);
    onPath({ visited: [], at: null });
  }

  const result = session?.result;
  const stale = session !== null && session.definition !== definition && graphKey(session.definition) !== graphKey(definition);
  return (
    <div className="space-y-4" data-testid="simulation-panel">
      <p className="flex items-start gap-2 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200 ring-inset">
        <FlaskConical className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
        <span>
          <span className="font-semibold">Simulation — nothing is sent</span> and no data changes. Time is simulated: it starts now and moves only when you advance it.
        </span>
      </p>

      {!session ? (
        <form
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            start();
          }}
        >
          <div role="group" aria-label="Who to simulate" className="flex rounded-md ring-1 ring-slate-200">
            {(["real", "described"] as const).map((m) => (
              <button
                key={m}
                type="button"
                aria-pressed={mode === m}
                onClick={() => setMode(m)}
                className={cn("flex-1 px-3 py-1.5 text-sm text-slate-600 first:rounded-l-md last:rounded-r-md", mode === m && "bg-slate-100 font-medium text-slate-900")}
              >
                {m === "real" ? "A real person" : "Describe one"}
              </button>
            ))}
          </div>
          {mode === "real" ? (
            <PersonPicker person={person} onChange={setPerson} clearLabel="Choose someone else" />
          ) : (
            <Field label="Traits (JSON)" hint="Built-in fields too: email, timezone, country…" error={traits.error}>
              {(p) => <textarea {...p} aria-invalid={p.invalid || undefined} rows={4} spellCheck={false} value={traitsText} onChange={(e) => setTraitsText(e.target.value)} className={textareaClass} />}
            </Field>
          )}
          {eventTrigger && (
            <Field label={`Properties of ${eventTrigger.event ?? "the trigger event"} (JSON, optional)`} hint="The event that enrolls them, performed now." error={triggerProperties.error}>
              {(p) => <textarea {...p} aria-invalid={p.invalid || undefined} rows={2} spellCheck={false} placeholder='{ "tariff": "Flex 12" }' value={triggerText} onChange={(e) => setTriggerText(e.target.value)} className={textareaClass} />}
            </Field>
          )}
          <Button type="submit" disabled={!canStart} loading={simulate.isPending}>
            <Play className="size-4" aria-hidden="true" /> Start
          </Button>
        </form>
      ) : (
        <Controls busy={simulate.isPending} onStep={step} onReset={reset} ended={result!.position.at === null} />
      )}

      {simulate.isError && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {errorMessage(simulate.error)}
        </p>
      )}

      {session && result && (
        <div className="space-y-3">
          {stale && (
            <p className="flex flex-wrap items-center gap-2 rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700 ring-1 ring-slate-200 ring-inset">
              The journey changed since this ran.
              <Button size="sm" variant="secondary" loading={simulate.isPending} onClick={() => run(session.input, session.steps, session.result.startedAt)}>
                Run the same steps again
              </Button>
            </p>
          )}
          <Where result={result} definition={session.definition} />
          <ol className="space-y-3" aria-label="What happened" aria-live="polite" data-testid="simulation-timeline">
            {result.entries.map((entry, i) => (
              <TimelineEntry key={i} entry={entry} startedAt={result.startedAt} definition={session.definition} />
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}

/** Advance the clock, make the person perform an event, start again. */
function Controls({ busy, ended, onStep, onReset }: { busy: boolean; ended: boolean; onStep: (s: Step) => void; onReset: () => void }) {
  const [amount, setAmount] = useState("3");
  const [unit, setUnit] = useState<keyof typeof UNIT_MS>("hours");
  const [eventName, setEventName] = useState("");
  const [propsText, setPropsText] = useState("");
  const props = parseJsonObject(propsText, "Properties");
  const customMs = Math.round(Number(amount) * UNIT_MS[unit]);
  const customValid = Number.isFinite(customMs) && customMs >= 60_000 && customMs <= 366 * 24 * HOUR;
  return (
    <div className="space-y-3 rounded-lg border border-slate-200 p-3">
      <div className="space-y-1.5">
        <p className="text-sm font-medium text-slate-800" id="advance-label">
          Advance time
        </p>
        <div className="flex flex-wrap items-center gap-2" role="group" aria-labelledby="advance-label">
          {QUICK_ADVANCES.map((a) => (
            <Button key={a.label} size="sm" variant="secondary" disabled={busy} onClick={() => onStep({ type: "advance", ms: a.ms })}>
              {a.label}
            </Button>
          ))}
        </div>
        <form
          className="flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (customValid) onStep({ type: "advance", ms: customMs });
          }}
        >
          <Field label="By" className="w-20">
            {(p) => <Input {...p} type="number" min={1} inputMode="numeric" value={amount} onChange={(e) => setAmount(e.target.value)} />}
          </Field>
          <Field label="Unit" className="w-28">
            {(p) => (
              <Select {...p} value={unit} onChange={(e) => setUnit(e.target.value as keyof typeof UNIT_MS)}>
                <option value="minutes">minutes</option>
                <option value="hours">hours</option>
                <option value="days">days</option>
              </Select>
            )}
          </Field>
          <Button type="submit" size="md" variant="secondary" disabled={busy || !customValid}>
            Advance
          </Button>
        </form>
      </div>
      <form
        className="space-y-2 border-t border-slate-100 pt-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (eventName.trim() && props.value) onStep({ type: "event", name: eventName.trim(), properties: props.value });
        }}
      >
        <Field label="They perform…" hint={ended ? "They are out of the journey; the event is still recorded for them." : "An event, now (at the simulated time)."}>
          {(p) => <Input {...p} placeholder="tariff_result_viewed" value={eventName} onChange={(e) => setEventName(e.target.value)} />}
        </Field>
        <Field label="Properties (JSON, optional)" error={props.error}>
          {(p) => <textarea {...p} aria-invalid={p.invalid || undefined} rows={2} spellCheck={false} placeholder='{ "orderId": "A-1001" }' value={propsText} onChange={(e) => setPropsText(e.target.value)} className={textareaClass} />}
        </Field>
        <div className="flex flex-wrap items-center gap-2">
          <Button type="submit" size="sm" variant="secondary" disabled={busy || !eventName.trim() || !props.value}>
            <Zap className="size-3.5" aria-hidden="true" /> They perform it now
          </Button>
          <span className="flex-1" />
          {busy && <Spinner className="size-4 text-slate-400" />}
          <Button size="sm" variant="ghost" onClick={onReset}>
            <RotateCcw className="size-3.5" aria-hidden="true" /> Reset
          </Button>
        </div>
      </form>
    </div>
  );
}

function NodeChip({ id, definition }: { id: string | null; definition: JourneyDefinition }) {
  const node = id ? definition.nodes.find((n) => n.id === id) : undefined;
  if (!node) return null;
  const Icon = NODE_ICONS[node.kind];
  return (
    <span className="inline-flex items-center gap-1 rounded bg-slate-100 px-1.5 py-0.5 text-xs font-medium text-slate-700">
      <Icon className="size-3" aria-hidden="true" />
      {nodeLabel(node)}
    </span>
  );
}

/** Where the person is now: waiting at a step (until when, for what), or out and why. */
function Where({ result, definition }: { result: Simulation; definition: JourneyDefinition }) {
  const p = result.position;
  const label = (id: string | null) => {
    const node = id ? definition.nodes.find((n) => n.id === id) : undefined;
    return node ? nodeLabel(node) : "a step";
  };
  return (
    <div className="rounded-lg bg-slate-50 px-3 py-2.5 text-sm ring-1 ring-slate-200 ring-inset" role="status" data-testid="simulation-where">
      <p className="text-slate-500">
        {result.person.primary}
        {result.person.secondary && ` · ${result.person.secondary}`} · simulated now {formatDateTime(new Date(result.now))} ({elapsed(result.startedAt, result.now)})
      </p>
      <p className="mt-0.5 font-medium text-slate-900">
        {p.at === null
          ? `Out of the journey: ${p.ended ? `${END_REASONS[p.ended.reason]}${p.ended.nodeId ? ` at ${label(p.ended.nodeId)}` : ""}` : "ended"}.`
          : p.waitingFor
            ? `Waiting at ${label(p.at)} for ${p.waitingFor}${p.until ? `, at most until ${formatDateTime(new Date(p.until))}` : ""}.`
            : p.until
              ? `Waiting at ${label(p.at)} until ${formatDateTime(new Date(p.until))}.`
              : `Waiting at ${label(p.at)}.`}
      </p>
      {result.truncated && <p className="mt-1 text-xs text-amber-800">Stopped early: too many steps at once.</p>}
    </div>
  );
}

/** The interpreter's decisions name moments as ISO times; people read them in their own. */
function readableTimes(text: string): string {
  return text.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, (iso) => formatDateTime(new Date(iso)));
}

const CAUSES: Record<Entry["cause"], string> = { enter: "Entered", timer: "Time’s up", event: "Event", advance: "Time passed" };

function TimelineEntry({ entry, startedAt, definition }: { entry: Entry; startedAt: string; definition: JourneyDefinition }) {
  const segments = useSegmentChoices();
  const segmentName = (id: string) => segments.find((s) => s.id === id)?.name ?? "a deleted segment";
  return (
    <li className={cn("rounded-lg border px-3 py-2.5", entry.applied ? "border-slate-200" : "border-dashed border-slate-200 bg-slate-50/50")} data-testid="simulation-entry">
      <div className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
        <time dateTime={entry.at} className="font-medium text-slate-700">
          {formatDateTime(new Date(entry.at))}
        </time>
        <span>{elapsed(startedAt, entry.at)}</span>
        <Badge tone={entry.cause === "event" ? "brand" : entry.cause === "enter" ? "green" : "slate"}>{entry.cause === "event" && entry.event ? `They performed ${entry.event.name}` : CAUSES[entry.cause]}</Badge>
      </div>
      <ul className="mt-2 space-y-1.5 text-sm">
        {entry.decisions.map((d, i) => (
          <li key={i} className="space-y-1">
            <p className="flex flex-wrap items-center gap-1.5 text-slate-800">
              <NodeChip id={d.nodeId} definition={definition} />
              <span>{readableTimes(d.text)}</span>
            </p>
            {d.trace && d.condition && (
              <details className="ml-1 rounded-md bg-slate-50 px-2 py-1.5">
                <summary className="cursor-pointer text-xs font-medium text-slate-600">Why</summary>
                <div className="mt-1.5">
                  <Explanation node={d.condition.root} trace={d.trace} segmentName={segmentName} />
                </div>
              </details>
            )}
          </li>
        ))}
      </ul>
      {entry.effects.some((e) => e.type === "send" || e.type === "webhook" || e.type === "update" || e.type === "convert") && (
        <ul className="mt-2 space-y-2">
          {entry.effects.map((effect, i) => (
            <EffectView key={i} effect={effect} definition={definition} />
          ))}
        </ul>
      )}
    </li>
  );
}

function EffectView({ effect, definition }: { effect: Entry["effects"][number]; definition: JourneyDefinition }) {
  if (effect.type === "update") {
    return (
      <li className="text-sm text-slate-700">
        <span className="font-medium">Trait {effect.trait}</span>{" "}
        {effect.op === "unset" ? "removed" : effect.op === "increment" ? `increased by ${formatValue(effect.value)}` : `set to ${formatValue(effect.value)}`} (for this simulation only)
      </li>
    );
  }
  if (effect.type === "convert") {
    return (
      <li>
        <Badge tone="green">Conversion</Badge>
      </li>
    );
  }
  if (effect.type !== "send" && effect.type !== "webhook") return null;
  const message = effect.message;
  const fields = message ? TEMPLATE_FIELDS[message.channel].filter((f) => f.key !== "html" && (message.output[f.key] ?? "") !== "") : [];
  return (
    <li className="overflow-hidden rounded-lg border border-slate-200" data-testid="simulated-message">
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-100 bg-slate-50 px-3 py-1.5 text-xs text-slate-600">
        <NodeChip id={effect.nodeId} definition={definition} />
        {message ? (
          <span>
            {CHANNEL_LABELS[message.channel]} · {message.templateName} (version {message.version})
          </span>
        ) : (
          <span>{effect.type === "webhook" ? "Webhook call" : "Message"}</span>
        )}
        <span className="flex-1" />
        <Badge tone="amber">Not sent</Badge>
      </div>
      {effect.error ? (
        <p role="alert" className="px-3 py-2 text-sm text-red-800">
          {effect.error}
        </p>
      ) : message ? (
        <dl className="space-y-1.5 px-3 py-2 text-sm">
          {fields.map((f) => (
            <div key={f.key}>
              <dt className="text-xs text-slate-500">{f.label}</dt>
              <dd className={cn("text-slate-900", f.multiline ? "max-h-48 overflow-auto whitespace-pre-wrap" : "truncate", f.key === "subject" || f.key === "title" ? "font-semibold" : "")}>{message.output[f.key]}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="px-3 py-2 text-sm text-slate-500">Calls the webhook (no template to show).</p>
      )}
    </li>
  );
}
