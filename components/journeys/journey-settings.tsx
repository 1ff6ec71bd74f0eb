"use client";

import { useQuery } from "@tanstack/react-query";
import { LIFECYCLE_PHASES, type JourneySettings } from "@/lib/journeys/schema";
import type { JourneyIssue } from "@/lib/journeys/graph";
import type { PropertyFilter } from "@/lib/segments/schema";
import { useTRPC } from "../trpc/client";
import { DurationInput } from "./duration-input";
import { EventFields } from "./event-fields";
import { Field, Input, Select } from "../ui/field";

type Rule = { type: "event"; event?: string; filters: PropertyFilter[] } | { type: "segment"; segmentId?: string };

/** The journey as a whole: its goal and conversion window, exit criteria, re-entry, cap, quiet hours, priority and phase. */
export function JourneySettingsForm({ settings, onChange, issues, readOnly }: { settings: JourneySettings; onChange: (s: JourneySettings) => void; issues: JourneyIssue[]; readOnly: boolean }) {
  const trpc = useTRPC();
  const segments = useQuery(trpc.segments.list.queryOptions({ limit: 100, stats: false }));
  const err = (field: string) => issues.find((i) => i.field === field)?.message;
  const segmentOptions = (segments.data?.items ?? []).map((s) => (
    <option key={s.id} value={s.id}>
      {s.name}
    </option>
  ));

  const ruleEditor = (label: string, rule: Rule | undefined, set: (r: Rule | undefined) => void, error?: string) => (
    <div className="space-y-2">
      <Field label={label} error={error}>
        {(p) => (
          <Select {...p} value={rule?.type ?? ""} onChange={(e) => set(e.target.value === "event" ? { type: "event", filters: [] } : e.target.value === "segment" ? { type: "segment" } : undefined)}>
            <option value="">None</option>
            <option value="event">They perform an event</option>
            <option value="segment">They are in a segment</option>
          </Select>
        )}
      </Field>
      {rule?.type === "event" && (
        <EventFields label={`${label}: event`} event={rule.event} filters={rule.filters} placeholder="purchase" onChange={(event, filters) => set({ ...rule, event, filters })} />
      )}
      {rule?.type === "segment" && (
        <Field label={`${label}: segment`}>
          {(p) => (
            <Select {...p} value={rule.segmentId ?? ""} onChange={(e) => set({ ...rule, segmentId: e.target.value || undefined })}>
              <option value="">Choose a segment…</option>
              {segmentOptions}
            </Select>
          )}
        </Field>
      )}
    </div>
  );

  return (
    <fieldset disabled={readOnly} className="space-y-4">
      <legend className="sr-only">Journey settings</legend>
      {ruleEditor(
        "Goal",
        settings.goal as Rule | undefined,
        (r) => onChange({ ...settings, goal: r ? ({ ...r, window: settings.goal?.window ?? { amount: 7, unit: "days" } } as JourneySettings["goal"]) : undefined }),
        err("settings.goal"),
      )}
      {settings.goal && <DurationInput required label="Counts as a conversion within" value={settings.goal.window} onChange={(window) => onChange({ ...settings, goal: { ...settings.goal!, window } })} />}
      {ruleEditor("Leave when", settings.exitCriteria as Rule | undefined, (r) => onChange({ ...settings, exitCriteria: r as JourneySettings["exitCriteria"] }), err("settings.exitCriteria"))}
      <Field label="Re-entry">
        {(p) => (
          <Select
            {...p}
            value={settings.reentry.mode}
            onChange={(e) => {
              const mode = e.target.value as JourneySettings["reentry"]["mode"];
              onChange({ ...settings, reentry: mode === "after" ? { mode, after: { amount: 30, unit: "days" } } : { mode } });
            }}
          >
            <option value="never">Once per person, ever</option>
            <option value="after">Again after a while</option>
            <option value="always">Every time the trigger happens</option>
          </Select>
        )}
      </Field>
      {settings.reentry.mode === "after" && <DurationInput required label="Again after" value={settings.reentry.after} onChange={(after) => onChange({ ...settings, reentry: { mode: "after", after } })} />}
      <Field label="At most this many people in it at once (optional)">
        {(p) => <Input {...p} inputMode="numeric" value={settings.maxConcurrent ? String(settings.maxConcurrent) : ""} onChange={(e) => onChange({ ...settings, maxConcurrent: Number(e.target.value.replace(/[^0-9]/g, "")) || undefined })} />}
      </Field>
      <Field label="Quiet hours (the person's time zone)" hint="No messages between these times. Webhooks are not held.">
        {(p) => (
          <Select
            {...p}
            value={settings.quietHours?.mode ?? ""}
            onChange={(e) => {
              const mode = e.target.value as "hold" | "skip" | "";
              onChange({ ...settings, quietHours: mode ? { start: settings.quietHours?.start ?? "21:00", end: settings.quietHours?.end ?? "08:00", mode } : undefined });
            }}
          >
            <option value="">None: send at any hour</option>
            <option value="hold">Hold messages until quiet hours end</option>
            <option value="skip">Skip messages due in quiet hours</option>
          </Select>
        )}
      </Field>
      {settings.quietHours && (
        <div className="grid grid-cols-2 gap-3">
          <Field label="From">{(p) => <Input {...p} type="time" required value={settings.quietHours!.start} onChange={(e) => e.target.value && onChange({ ...settings, quietHours: { ...settings.quietHours!, start: e.target.value } })} />}</Field>
          <Field label="Until">{(p) => <Input {...p} type="time" required value={settings.quietHours!.end} onChange={(e) => e.target.value && onChange({ ...settings, quietHours: { ...settings.quietHours!, end: e.target.value } })} />}</Field>
        </div>
      )}
      <Field label="Priority under frequency caps" hint="When a person's cap allows only one of several messages due together, the higher priority goes.">
        {(p) => (
          <Select {...p} value={String(settings.priority ?? 5)} onChange={(e) => onChange({ ...settings, priority: Number(e.target.value) === 5 ? undefined : Number(e.target.value) })}>
            {[10, 8, 5, 2, 0].map((n) => (
              <option key={n} value={n}>
                {n === 10 ? "Highest (10)" : n === 8 ? "High (8)" : n === 5 ? "Normal (5)" : n === 2 ? "Low (2)" : "Lowest (0)"}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Lifecycle phase">
        {(p) => (
          <Select {...p} value={settings.phase ?? ""} onChange={(e) => onChange({ ...settings, phase: (e.target.value || undefined) as JourneySettings["phase"] })}>
            <option value="">—</option>
            {LIFECYCLE_PHASES.map((phase) => (
              <option key={phase} value={phase}>
                {phase[0]!.toUpperCase() + phase.slice(1)}
              </option>
            ))}
          </Select>
        )}
      </Field>
    </fieldset>
  );
}
