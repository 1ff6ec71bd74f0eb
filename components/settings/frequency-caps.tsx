"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus, Trash2 } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { can } from "@/lib/auth/roles";
import { capText, type FrequencyCap } from "@/lib/journeys/caps";
import { errorMessage, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";

const CHANNELS: { value: FrequencyCap["channel"]; label: string }[] = [
  { value: "any", label: "messages (any channel)" },
  { value: "email", label: "emails" },
  { value: "sms", label: "SMS" },
  { value: "push", label: "push messages" },
  { value: "inapp", label: "in-app messages" },
  { value: "webhook", label: "webhook calls" },
];
const PURPOSES: { value: FrequencyCap["purpose"]; label: string }[] = [
  { value: "marketing", label: "marketing" },
  { value: "transactional", label: "transactional" },
  { value: "any", label: "any purpose" },
];
const control = "rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm shadow-sm focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-500/20 disabled:bg-slate-50";

/** Settings → General: the workspace's frequency caps, across every journey. */
export function FrequencyCapsSettings() {
  const trpc = useTRPC();
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const caps = useQuery(trpc.workspace.frequencyCaps.queryOptions());
  return (
    <Card>
      <CardHeader
        title="Frequency caps"
        description="Across all journeys, per person: messages over a cap are not sent (the delivery says which cap). Days are counted from midnight in the person's time zone. Journey priority decides which message goes when several are due together."
      />
      <CardBody>
        {caps.data && workspace.data ? (
          <CapsForm key={JSON.stringify(caps.data)} initial={caps.data} canEdit={can(workspace.data.role, "workspace.manage")} />
        ) : caps.isError ? (
          <p className="text-sm text-red-600">{caps.error.message}</p>
        ) : (
          <div className="h-16 animate-pulse rounded bg-slate-100" aria-busy="true" />
        )}
      </CardBody>
    </Card>
  );
}

function CapsForm({ initial, canEdit }: { initial: FrequencyCap[]; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [caps, setCaps] = useState<FrequencyCap[]>(initial);
  const save = useMutation(
    trpc.workspace.setFrequencyCaps.mutationOptions({
      onSuccess: async () => {
        toast.success("Frequency caps saved");
        await queryClient.invalidateQueries({ queryKey: trpc.workspace.frequencyCaps.queryKey() });
      },
      onError: (error) => toast.error(errorMessage(error)),
    }),
  );
  const dirty = JSON.stringify(caps) !== JSON.stringify(initial);
  const valid = caps.every((c) => Number.isInteger(c.max) && c.max >= 1 && c.max <= 1_000 && Number.isInteger(c.days) && c.days >= 1 && c.days <= 90);
  const set = (i: number, patch: Partial<FrequencyCap>) => setCaps(caps.map((c, j) => (j === i ? { ...c, ...patch } : c)));
  const number = (value: string, max: number) => Math.min(max, Math.max(0, Number(value.replace(/[^0-9]/g, "")) || 0));

  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ caps });
      }}
    >
      {caps.length === 0 ? (
        <p className="text-sm text-slate-600">No caps: journeys send as often as their steps say.</p>
      ) : (
        <ul className="space-y-2" data-testid="frequency-caps">
          {caps.map((cap, i) => (
            <li key={i} className="flex flex-wrap items-center gap-2 text-sm text-slate-700">
              <span>At most</span>
              <input aria-label="Most messages" className={`${control} w-16`} inputMode="numeric" disabled={!canEdit} value={cap.max || ""} onChange={(e) => set(i, { max: number(e.target.value, 1_000) })} />
              <select aria-label="Purpose" className={control} disabled={!canEdit} value={cap.purpose} onChange={(e) => set(i, { purpose: e.target.value as FrequencyCap["purpose"] })}>
                {PURPOSES.map((p) => (
                  <option key={p.value} value={p.value}>
                    {p.label}
                  </option>
                ))}
              </select>
              <select aria-label="Channel" className={control} disabled={!canEdit} value={cap.channel} onChange={(e) => set(i, { channel: e.target.value as FrequencyCap["channel"] })}>
                {CHANNELS.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </select>
              <span>per</span>
              <input aria-label="Days" className={`${control} w-16`} inputMode="numeric" disabled={!canEdit} value={cap.days || ""} onChange={(e) => set(i, { days: number(e.target.value, 90) })} />
              <span>{cap.days === 1 ? "day" : "days"}</span>
              {canEdit && (
                <button type="button" aria-label={`Remove “${capText(cap)}”`} className="rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-red-600" onClick={() => setCaps(caps.filter((_, j) => j !== i))}>
                  <Trash2 className="size-4" />
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {!valid && <p className="text-sm text-red-600">Each cap needs 1–1,000 messages over 1–90 days.</p>}
      {canEdit ? (
        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" disabled={caps.length >= 20} onClick={() => setCaps([...caps, { channel: "email", purpose: "marketing", max: 3, days: 7 }])}>
            <Plus className="size-4" /> Add a cap
          </Button>
          <Button type="submit" loading={save.isPending} disabled={!dirty || !valid}>
            Save caps
          </Button>
        </div>
      ) : (
        <p className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-600">Only admins can change frequency caps.</p>
      )}
    </form>
  );
}
