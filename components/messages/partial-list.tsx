"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Puzzle } from "lucide-react";
import dynamic from "next/dynamic";
import { useState } from "react";
import { toast } from "sonner";
import { can } from "@/lib/auth/roles";
import { relativeTime } from "@/lib/format";
import { errorMessage, fieldErrors, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { EmptyState } from "../ui/empty-state";
import { Field, Input } from "../ui/field";
import { QueryError } from "../ui/query-error";

const CodeEditor = dynamic(() => import("./code-editor").then((m) => m.CodeEditor), {
  ssr: false,
  loading: () => <div className="h-40 animate-pulse rounded-md bg-slate-100" />,
});

interface PartialRow {
  id: string;
  name: string;
  body: string;
  updatedAt: Date;
}

const FOOTER_EXAMPLE = `<p style="color:#6b7280;font-size:12px">
  Acme Fitness · 1 Example Street<br>
  <a href="{{ unsubscribe_url }}">Unsubscribe</a> · <a href="{{ preferences_url }}">Email preferences</a>
</p>
`;

/** Messages → Partials: shared pieces (`{% render 'footer' %}`), edited once for every template. */
export function PartialList() {
  const trpc = useTRPC();
  const partials = useQuery(trpc.messages.partials.queryOptions());
  const workspace = useQuery(trpc.workspace.current.queryOptions());
  const canEdit = can(workspace.data?.role, "messages.edit");
  const [editing, setEditing] = useState<PartialRow | "new" | null>(null);

  if (partials.isError) return <QueryError error={partials.error} what="partials" onRetry={() => void partials.refetch()} retrying={partials.isRefetching} />;
  if (editing) return <PartialForm partial={editing === "new" ? null : editing} onDone={() => setEditing(null)} />;
  if (partials.isPending) return <div className="h-32 animate-pulse rounded-xl bg-slate-100" />;
  if (partials.data.length === 0) {
    return (
      <EmptyState icon={Puzzle} title="No partials yet" description="A partial is a piece many templates share — a header with your logo, a footer with your address and unsubscribe link. Change it once; every template picks it up on its next save.">
        {canEdit && <Button onClick={() => setEditing("new")}>Create a footer</Button>}
      </EmptyState>
    );
  }
  return (
    <div className="space-y-4">
      <Card>
        <ul className="divide-y divide-slate-100">
          {partials.data.map((p) => (
            <li key={p.id} className="flex items-center gap-4 px-5 py-3 text-sm">
              <div className="min-w-0 flex-1">
                <p className="font-medium text-slate-900">
                  <code>{`{% render '${p.name}' %}`}</code>
                </p>
                <p className="truncate text-xs text-slate-500">{p.body.replace(/\s+/g, " ").slice(0, 160)}</p>
              </div>
              <span className="text-xs whitespace-nowrap text-slate-500">changed {relativeTime(p.updatedAt)}</span>
              {canEdit && (
                <Button variant="secondary" size="sm" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>
                  Edit
                </Button>
              )}
            </li>
          ))}
        </ul>
      </Card>
      {canEdit && (
        <Button variant="secondary" onClick={() => setEditing("new")}>
          New partial
        </Button>
      )}
    </div>
  );
}

function PartialForm({ partial, onDone }: { partial: PartialRow | null; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(partial?.name ?? (partial ? "" : "footer"));
  const [body, setBody] = useState(partial?.body ?? FOOTER_EXAMPLE);
  const [deleting, setDeleting] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.messages.partials.pathKey() });
  const save = useMutation(
    trpc.messages.savePartial.mutationOptions({
      onSuccess: async () => {
        toast.success(`Saved “${name}”`, { description: "Templates use it from their next save; versions already saved keep the one they have." });
        await refresh();
        onDone();
      },
    }),
  );
  const remove = useMutation(
    trpc.messages.deletePartial.mutationOptions({
      onSuccess: async () => {
        toast.success(`Deleted “${partial?.name}”`);
        await refresh();
        onDone();
      },
    }),
  );
  const errors = fieldErrors(save.error);
  return (
    <Card>
      <CardHeader title={partial ? `Partial “${partial.name}”` : "New partial"} description="Liquid and HTML; it sees the same variables as the template that renders it." />
      <CardBody>
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({ id: partial?.id, name, body });
          }}
        >
          <Field label="Name" hint={<>Templates include it with <code>{`{% render '${name || "name"}' %}`}</code>.</>} error={errors.name}>
            {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} className="max-w-xs" />}
          </Field>
          <div className="space-y-1.5">
            <span className="block text-sm font-medium text-slate-800">Body</span>
            <CodeEditor label="Partial body" value={body} onChange={setBody} htmlBase minHeight="10rem" />
            {errors.body && <p role="alert" className="text-xs font-medium text-red-600">{errors.body}</p>}
          </div>
          {save.isError && Object.keys(errors).length === 0 && <p role="alert" className="text-sm text-red-700">{errorMessage(save.error)}</p>}
          <div className="flex items-center gap-2">
            <Button type="submit" loading={save.isPending}>
              Save partial
            </Button>
            <Button variant="ghost" onClick={onDone}>
              Cancel
            </Button>
            {partial && (
              <Button variant="danger" className="ml-auto" onClick={() => setDeleting(true)}>
                Delete
              </Button>
            )}
          </div>
        </form>
      </CardBody>
      <ConfirmDialog
        open={deleting}
        title={`Delete “${partial?.name}”?`}
        confirmLabel="Delete"
        pending={remove.isPending}
        onCancel={() => (setDeleting(false), remove.reset())}
        onConfirm={() => partial && remove.mutate({ id: partial.id })}
      >
        <p>Saved template versions keep their copy. A template still using it must be changed first.</p>
        {remove.isError && <p role="alert" className="mt-3 text-red-600">{remove.error.message}</p>}
      </ConfirmDialog>
    </Card>
  );
}
