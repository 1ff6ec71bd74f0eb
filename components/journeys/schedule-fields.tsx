"use client";

import type { Trigger } from "@/lib/journeys/schema";
import { Field, Input, Select } from "../ui/field";

type ScheduleTrigger = Extract<Trigger, { type: "schedule" }>;
type Frequency = "once" | "DAILY" | "WEEKLY" | "MONTHLY";

const DAYS = [
  ["MO", "Mon"],
  ["TU", "Tue"],
  ["WE", "Wed"],
  ["TH", "Thu"],
  ["FR", "Fri"],
  ["SA", "Sat"],
  ["SU", "Sun"],
] as const;

/** The parts of an RRULE the form edits ("FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=9;BYMINUTE=30"). */
function parseRule(rrule: string) {
  const parts = new Map(rrule.split(";").map((p) => p.split("=") as [string, string]));
  const hour = Number(parts.get("BYHOUR") ?? 9);
  const minute = Number(parts.get("BYMINUTE") ?? 0);
  return {
    freq: (parts.get("FREQ") ?? "WEEKLY") as Exclude<Frequency, "once">,
    days: (parts.get("BYDAY") ?? "MO").split(",").filter(Boolean),
    monthDay: Number(parts.get("BYMONTHDAY") ?? 1),
    time: `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`,
  };
}

function buildRule(r: ReturnType<typeof parseRule>): string {
  const [hour, minute] = r.time.split(":").map(Number);
  const by = r.freq === "WEEKLY" ? `;BYDAY=${(r.days.length ? r.days : ["MO"]).join(",")}` : r.freq === "MONTHLY" ? `;BYMONTHDAY=${r.monthDay}` : "";
  return `FREQ=${r.freq}${by};BYHOUR=${hour ?? 9};BYMINUTE=${minute ?? 0}`;
}

/** `datetime-local` text for an ISO time, in the browser's zone, and back. */
const toLocalInput = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

/** When a scheduled journey enrolls its segment: once, or every day / week / month at a time (the workspace's time zone). */
export function ScheduleFields({ trigger, onChange, error }: { trigger: ScheduleTrigger; onChange: (t: ScheduleTrigger) => void; error?: string }) {
  const schedule = trigger.schedule;
  const freq: Frequency = schedule?.kind === "once" ? "once" : schedule ? parseRule(schedule.rrule).freq : "once";
  const rule = schedule?.kind === "recurring" ? parseRule(schedule.rrule) : parseRule("FREQ=WEEKLY");
  const setRule = (patch: Partial<ReturnType<typeof parseRule>>) => onChange({ ...trigger, schedule: { kind: "recurring", rrule: buildRule({ ...rule, ...patch }) } });
  return (
    <div className="space-y-3">
      <Field label="Runs" error={error}>
        {(p) => (
          <Select
            {...p}
            value={freq}
            onChange={(e) => {
              const next = e.target.value as Frequency;
              if (next === "once") onChange({ ...trigger, schedule: undefined });
              else setRule({ freq: next });
            }}
          >
            <option value="once">Once</option>
            <option value="DAILY">Every day</option>
            <option value="WEEKLY">Every week</option>
            <option value="MONTHLY">Every month</option>
          </Select>
        )}
      </Field>
      {freq === "once" ? (
        <Field label="At" hint="Your browser’s time; stored as an exact moment.">
          {(p) => (
            <Input
              {...p}
              type="datetime-local"
              value={schedule?.kind === "once" ? toLocalInput(schedule.at) : ""}
              onChange={(e) => {
                const d = new Date(e.target.value);
                onChange({ ...trigger, schedule: Number.isNaN(d.getTime()) ? undefined : { kind: "once", at: d.toISOString() } });
              }}
            />
          )}
        </Field>
      ) : (
        <>
          {freq === "WEEKLY" && (
            <fieldset>
              <legend className="mb-1 text-sm font-medium text-slate-800">On</legend>
              <div className="flex flex-wrap gap-2">
                {DAYS.map(([code, name]) => (
                  <label key={code} className="inline-flex items-center gap-1 text-sm">
                    <input
                      type="checkbox"
                      checked={rule.days.includes(code)}
                      onChange={(e) => {
                        const days = e.target.checked ? DAYS.map(([c]) => c).filter((c) => c === code || rule.days.includes(c)) : rule.days.filter((d) => d !== code);
                        if (days.length) setRule({ days });
                      }}
                    />
                    {name}
                  </label>
                ))}
              </div>
            </fieldset>
          )}
          {freq === "MONTHLY" && (
            <Field label="Day of the month">
              {(p) => <Input {...p} inputMode="numeric" className="w-20" value={String(rule.monthDay)} onChange={(e) => setRule({ monthDay: Math.min(28, Math.max(1, Number(e.target.value.replace(/[^0-9]/g, "")) || 1)) })} />}
            </Field>
          )}
          <Field label="At" hint="In the workspace’s time zone.">
            {(p) => <Input {...p} type="time" className="w-32" value={rule.time} onChange={(e) => e.target.value && setRule({ time: e.target.value })} />}
          </Field>
        </>
      )}
    </div>
  );
}
