"use client";

import { useQuery } from "@tanstack/react-query";
import { Plus, Trash2 } from "lucide-react";
import { type JourneyNode, type Trigger, type Wait } from "@/lib/journeys/schema";
import type { JourneyIssue } from "@/lib/journeys/graph";
import { CHANNEL_LABELS, MESSAGE_CHANNELS, type MessageChannel } from "@/lib/messages/schema";
import { useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, Input, Select } from "../ui/field";
import { uniqueId } from "@/lib/journeys/editing";
import { ConditionField } from "./case-condition";
import { DurationInput } from "./duration-input";
import { EventFields } from "./event-fields";
import { ScheduleFields } from "./schedule-fields";
import { SendPreview } from "./send-preview";

type Change = (node: JourneyNode) => void;

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** The selected step's settings, with its problems beside the fields they are about. */
export function Inspector({ node, issues, onChange, onDelete, readOnly }: { node: JourneyNode; issues: JourneyIssue[]; onChange: Change; onDelete: () => void; readOnly: boolean }) {
  const trpc = useTRPC();
  const segments = useQuery(trpc.segments.list.queryOptions({ limit: 100, stats: false }));
  const templates = useQuery(trpc.messages.list.queryOptions({}));
  const err = (field: string) => issues.find((i) => i.field === field || i.field?.startsWith(`${field}.`))?.message;
  const general = issues.filter((i) => !i.field);
  const segmentOptions = (segments.data?.items ?? []).map((s) => (
    <option key={s.id} value={s.id}>
      {s.name}
    </option>
  ));

  return (
    <fieldset disabled={readOnly} className="space-y-4">
      <legend className="sr-only">Step settings</legend>
      {general.length > 0 && (
        <ul role="alert" className="space-y-1 rounded-md bg-red-50 px-3 py-2 text-xs text-red-800">
          {general.map((i, n) => (
            <li key={n}>{i.message}</li>
          ))}
        </ul>
      )}
      {node.kind !== "trigger" && (
        <Field label="Label (optional)">{(p) => <Input {...p} value={node.label ?? ""} onChange={(e) => onChange({ ...node, label: e.target.value || undefined })} />}</Field>
      )}

      {node.kind === "trigger" && (
        <>
          <Field label="Starts when">
            {(p) => (
              <Select
                {...p}
                value={node.trigger.type}
                onChange={(e) => {
                  const type = e.target.value as Trigger["type"];
                  const trigger: Trigger = type === "event" ? { type, filters: [] } : type === "schedule" ? { type, schedule: { kind: "recurring", rrule: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9" } } : { type };
                  onChange({ ...node, trigger });
                }}
              >
                <option value="event">Someone performs an event</option>
                <option value="segment_entered">Someone enters a segment</option>
                <option value="segment_exited">Someone leaves a segment</option>
                <option value="schedule">On a schedule, for a segment</option>
                <option value="api">Your system enrolls them (API)</option>
              </Select>
            )}
          </Field>
          {node.trigger.type === "event" && (
            <>
              <EventFields
                label="Event"
                event={node.trigger.type === "event" ? node.trigger.event : undefined}
                filters={node.trigger.type === "event" ? node.trigger.filters : []}
                placeholder="feature_used"
                error={err("trigger.event")}
                onChange={(event, filters) => node.trigger.type === "event" && onChange({ ...node, trigger: { ...node.trigger, event, filters } })}
              />
              <Field label="At least (times, optional)">
                {(p) => (
                  <Input
                    {...p}
                    inputMode="numeric"
                    value={node.trigger.type === "event" && node.trigger.count ? String(node.trigger.count.atLeast) : ""}
                    onChange={(e) => {
                      if (node.trigger.type !== "event") return;
                      const n = Number(e.target.value.replace(/[^0-9]/g, ""));
                      onChange({ ...node, trigger: { ...node.trigger, count: n >= 2 ? { atLeast: n, within: node.trigger.count?.within ?? { amount: 1, unit: "days" } } : undefined } });
                    }}
                  />
                )}
              </Field>
              {node.trigger.count && (
                <DurationInput label="Within" value={node.trigger.count.within} onChange={(d) => node.trigger.type === "event" && node.trigger.count && d && onChange({ ...node, trigger: { ...node.trigger, count: { ...node.trigger.count, within: d } } })} />
              )}
              <Field label="Once per (optional)" hint="An event property, like properties.orderId: one person may be in the journey once per value.">
                {(p) => <Input {...p} value={node.trigger.type === "event" ? (node.trigger.correlationKey ?? "") : ""} placeholder="properties.orderId" onChange={(e) => node.trigger.type === "event" && onChange({ ...node, trigger: { ...node.trigger, correlationKey: e.target.value.trim() || undefined } })} />}
              </Field>
            </>
          )}
          {node.trigger.type === "schedule" && <ScheduleFields trigger={node.trigger} error={err("trigger.schedule")} onChange={(trigger) => onChange({ ...node, trigger })} />}
          {(node.trigger.type === "segment_entered" || node.trigger.type === "segment_exited" || node.trigger.type === "schedule") && (
            <Field label="Segment" error={err("trigger.segmentId")}>
              {(p) => (
                <Select {...p} value={"segmentId" in node.trigger ? (node.trigger.segmentId ?? "") : ""} onChange={(e) => onChange({ ...node, trigger: { ...node.trigger, segmentId: e.target.value || undefined } as Trigger })}>
                  <option value="">Choose a segment…</option>
                  {segmentOptions}
                </Select>
              )}
            </Field>
          )}
        </>
      )}

      {node.kind === "wait" && (
        <>
          <Field label="Wait">
            {(p) => (
              <Select
                {...p}
                value={node.wait.type}
                onChange={(e) => {
                  const type = e.target.value as Wait["type"];
                  const wait: Wait = type === "duration" ? { type } : type === "time_of_day" ? { type, weekdays: [1, 2, 3, 4, 5] } : type === "date_trait" ? { type } : { type, filters: [] };
                  onChange({ ...node, wait });
                }}
              >
                <option value="duration">For a while</option>
                <option value="time_of_day">Until a time of day (their time zone)</option>
                <option value="event">Until they do something, or a timeout</option>
                <option value="date_trait">Until a date in their profile</option>
              </Select>
            )}
          </Field>
          {node.wait.type === "duration" && <DurationInput label="How long" value={node.wait.duration} error={err("wait.duration")} onChange={(d) => onChange({ ...node, wait: { type: "duration", duration: d } })} />}
          {node.wait.type === "time_of_day" && (
            <>
              <Field label="Time" error={err("wait.time")}>
                {(p) => <Input {...p} type="time" value={node.wait.type === "time_of_day" ? (node.wait.time ?? "") : ""} onChange={(e) => node.wait.type === "time_of_day" && onChange({ ...node, wait: { ...node.wait, time: e.target.value || undefined } })} />}
              </Field>
              <fieldset>
                <legend className="mb-1 text-sm font-medium text-slate-800">On</legend>
                <div className="flex flex-wrap gap-2">
                  {DAYS.map((day, i) => (
                    <label key={day} className="inline-flex items-center gap-1 text-sm">
                      <input
                        type="checkbox"
                        checked={node.wait.type === "time_of_day" && node.wait.weekdays.includes(i)}
                        onChange={(e) => {
                          if (node.wait.type !== "time_of_day") return;
                          const days = e.target.checked ? [...node.wait.weekdays, i].sort() : node.wait.weekdays.filter((d) => d !== i);
                          if (days.length > 0) onChange({ ...node, wait: { ...node.wait, weekdays: days } });
                        }}
                      />
                      {day}
                    </label>
                  ))}
                </div>
              </fieldset>
            </>
          )}
          {node.wait.type === "event" && (
            <>
              <EventFields
                label="Event"
                event={node.wait.type === "event" ? node.wait.event : undefined}
                filters={node.wait.type === "event" ? node.wait.filters : []}
                placeholder="order_completed"
                error={err("wait.event")}
                onChange={(event, filters) => node.wait.type === "event" && onChange({ ...node, wait: { ...node.wait, event, filters } })}
              />
              <DurationInput label="At most" value={node.wait.timeout} error={err("wait.timeout")} onChange={(d) => node.wait.type === "event" && onChange({ ...node, wait: { ...node.wait, timeout: d } })} />
            </>
          )}
          {node.wait.type === "date_trait" && (
            <Field label="Date trait" error={err("wait.trait")}>
              {(p) => <Input {...p} value={node.wait.type === "date_trait" ? (node.wait.trait ?? "") : ""} placeholder="renewal_date" onChange={(e) => node.wait.type === "date_trait" && onChange({ ...node, wait: { ...node.wait, trait: e.target.value.trim() || undefined } })} />}
            </Field>
          )}
        </>
      )}

      {node.kind === "branch" && (
        <fieldset className="space-y-3">
          <legend className="text-sm font-medium text-slate-800">Cases, tried in order</legend>
          {err("cases") && <p className="text-xs font-medium text-red-600">{err("cases")}</p>}
          {node.cases.map((c, i) => {
            return (
              <div key={c.id} className="space-y-2 rounded-lg border border-slate-200 p-3">
                <Field label={`Case ${i + 1} name`} error={err(`cases.${i}.name`)}>
                  {(p) => <Input {...p} value={c.name} onChange={(e) => onChange({ ...node, cases: node.cases.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)) })} />}
                </Field>
                <ConditionField
                  label="Who goes this way"
                  value={c.condition}
                  readOnly={readOnly}
                  error={err(`cases.${i}.condition`)}
                  onChange={(condition) => onChange({ ...node, cases: node.cases.map((x, j) => (j === i ? { ...x, condition } : x)) })}
                />
                <Button variant="ghost" size="sm" onClick={() => onChange({ ...node, cases: node.cases.filter((_, j) => j !== i) })}>
                  <Trash2 className="size-3.5" aria-hidden="true" /> Remove case
                </Button>
              </div>
            );
          })}
          <Button variant="secondary" size="sm" onClick={() => onChange({ ...node, cases: [...node.cases, { id: uniqueId("case", node.cases.map((c) => c.id)), name: `Case ${node.cases.length + 1}` }] })}>
            <Plus className="size-3.5" aria-hidden="true" /> Add a case
          </Button>
          <p className="text-xs text-slate-500">Whoever matches no case goes on by “Everyone else”.</p>
        </fieldset>
      )}

      {node.kind === "split" && (
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-slate-800">Arms</legend>
          {err("arms") && <p className="text-xs font-medium text-red-600">{err("arms")}</p>}
          {node.arms.map((a, i) => (
            <div key={a.id} className="grid grid-cols-[1fr_5rem_auto] items-end gap-2">
              <Field label={`Arm ${i + 1}`}>{(p) => <Input {...p} value={a.name} onChange={(e) => onChange({ ...node, arms: node.arms.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)) })} />}</Field>
              <Field label="%">{(p) => <Input {...p} inputMode="numeric" value={String(a.percent)} onChange={(e) => onChange({ ...node, arms: node.arms.map((x, j) => (j === i ? { ...x, percent: Math.min(100, Number(e.target.value.replace(/[^0-9]/g, "")) || 0) } : x)) })} />}</Field>
              <label className="mb-2 inline-flex items-center gap-1 text-xs text-slate-600">
                <input type="checkbox" checked={a.holdout} onChange={(e) => onChange({ ...node, arms: node.arms.map((x, j) => (j === i ? { ...x, holdout: e.target.checked } : x)) })} /> holdout
              </label>
            </div>
          ))}
          <Button variant="secondary" size="sm" onClick={() => onChange({ ...node, arms: [...node.arms, { id: uniqueId("arm", node.arms.map((a) => a.id)), name: String.fromCharCode(65 + node.arms.length), percent: 0, holdout: false }] })}>
            <Plus className="size-3.5" aria-hidden="true" /> Add an arm
          </Button>
        </fieldset>
      )}

      {node.kind === "send" && (
        <>
          <Field label="Channel" error={err("channel")}>
            {(p) => (
              <Select {...p} value={node.channel ?? ""} onChange={(e) => onChange({ ...node, channel: (e.target.value || undefined) as MessageChannel | undefined, templateId: undefined })}>
                <option value="">Choose a channel…</option>
                {MESSAGE_CHANNELS.map((c) => (
                  <option key={c} value={c}>
                    {CHANNEL_LABELS[c]}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Message" error={err("templateId")}>
            {(p) => (
              <Select {...p} value={node.templateId ?? ""} disabled={!node.channel} onChange={(e) => onChange({ ...node, templateId: e.target.value || undefined })}>
                <option value="">Choose a message…</option>
                {(templates.data ?? [])
                  .filter((t) => t.channel === node.channel)
                  .map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.name}
                    </option>
                  ))}
              </Select>
            )}
          </Field>
          {node.templateId && !err("templateId") && <SendPreview templateId={node.templateId} />}
          <Field label="If it cannot be sent">
            {(p) => (
              <Select {...p} value={node.onFailure} onChange={(e) => onChange({ ...node, onFailure: e.target.value as "continue" | "exit" })}>
                <option value="continue">Go on with the journey</option>
                <option value="exit">Leave the journey</option>
              </Select>
            )}
          </Field>
        </>
      )}

      {node.kind === "update" && (
        <>
          <Field label="Trait" error={err("trait")}>{(p) => <Input {...p} value={node.trait ?? ""} placeholder="nudged" onChange={(e) => onChange({ ...node, trait: e.target.value.trim() || undefined })} />}</Field>
          <Field label="Change">
            {(p) => (
              <Select {...p} value={node.op} onChange={(e) => onChange({ ...node, op: e.target.value as "set" | "increment" | "unset" })}>
                <option value="set">Set to</option>
                <option value="increment">Increase by</option>
                <option value="unset">Remove</option>
              </Select>
            )}
          </Field>
          {node.op !== "unset" && (
            <Field label="Value" error={err("value")}>
              {(p) => (
                <Input
                  {...p}
                  value={node.value === undefined || node.value === null ? "" : String(node.value)}
                  onChange={(e) => {
                    const raw = e.target.value;
                    const value = node.op === "increment" || /^-?\d+(\.\d+)?$/.test(raw) ? (raw === "" ? undefined : Number(raw)) : raw === "true" ? true : raw === "false" ? false : raw;
                    onChange({ ...node, value: Number.isNaN(value) ? raw : value });
                  }}
                />
              )}
            </Field>
          )}
        </>
      )}

      {node.kind !== "trigger" && !readOnly && (
        <Button variant="danger" size="sm" onClick={onDelete}>
          <Trash2 className="size-3.5" aria-hidden="true" /> Remove this step
        </Button>
      )}
    </fieldset>
  );
}
