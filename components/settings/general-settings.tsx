"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { toast } from "sonner";
import { formatCountOf, formatDate } from "@/lib/format";
import { timeZoneChoices } from "@/lib/time";
import { errorMessage, fieldErrors, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { Field, Input, Select } from "../ui/field";
import { can, type Role } from "@/lib/auth/roles";

export function GeneralSettings() {
  const trpc = useTRPC();
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  return (
    <Card>
      <CardHeader title="Workspace" description="The name people see and the time zone used when a profile has none." />
      <CardBody>
        {workspace.data ? (
          <WorkspaceForm key={`${workspace.data.name}|${workspace.data.defaultTimezone}`} workspace={workspace.data} />
        ) : (
          <div className="space-y-3" aria-busy="true">
            <div className="h-9 w-full max-w-md animate-pulse rounded bg-slate-100" />
            <div className="h-9 w-full max-w-md animate-pulse rounded bg-slate-100" />
          </div>
        )}
      </CardBody>
    </Card>
  );
}

function WorkspaceForm({
  workspace,
}: {
  workspace: { name: string; defaultTimezone: string; createdAt: Date; role: Role; counts: { members: number } };
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(workspace.name);
  const [timezone, setTimezone] = useState(workspace.defaultTimezone);
  const timezones = useMemo(() => timeZoneChoices(workspace.defaultTimezone), [workspace.defaultTimezone]);

  const router = useRouter();
  const update = useMutation(
    trpc.workspace.update.mutationOptions({
      onSuccess: async () => {
        toast.success("Workspace settings saved");
        await queryClient.invalidateQueries({ queryKey: trpc.workspace.pathKey() });
        // The sidebar is rendered on the server: fetch it again so it shows the new name.
        router.refresh();
      },
      onError: (error) => {
        if (Object.keys(fieldErrors(error)).length === 0) toast.error(errorMessage(error));
      },
    }),
  );
  const errors = fieldErrors(update.error);
  const canEdit = can(workspace.role, "workspace.manage");
  const dirty = name !== workspace.name || timezone !== workspace.defaultTimezone;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    update.mutate({ name, defaultTimezone: timezone });
  }

  return (
          <form onSubmit={onSubmit} className="max-w-md space-y-5" noValidate>
            <Field label="Workspace name" error={errors.name}>
              {(p) => <Input {...p} value={name} disabled={!canEdit} onChange={(e) => setName(e.target.value)} />}
            </Field>
            <Field label="Default time zone" hint="Quiet hours and “local time” waits use it for profiles without a time zone." error={errors.defaultTimezone}>
              {(p) => (
                <Select {...p} value={timezone} disabled={!canEdit} onChange={(e) => setTimezone(e.target.value)}>
                  {timezones.map((tz) => (
                    <option key={tz} value={tz}>
                      {tz}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <p className="text-xs text-slate-500">
              Created {formatDate(workspace.createdAt)} · {formatCountOf(workspace.counts.members, "member")}
            </p>
            {canEdit ? (
              <Button type="submit" loading={update.isPending} disabled={!dirty}>
                Save changes
              </Button>
            ) : (
              <p className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-600">Only admins can change workspace settings.</p>
            )}
          </form>
  );
}
