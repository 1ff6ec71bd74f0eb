"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Check, Copy, KeyRound } from "lucide-react";
import { useState, type FormEvent } from "react";
import { toast } from "sonner";
import { formatDate, relativeTime } from "@/lib/format";
import { errorMessage, fieldErrors, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { QueryError } from "../ui/query-error";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { EmptyState } from "../ui/empty-state";
import { Field, Input, Select } from "../ui/field";

const KIND_TEXT = {
  write: { label: "Write key", hint: "Sends events: HTTP Basic username for /api/v1/batch, analytics.js and @segment/analytics-node." },
  secret: { label: "Secret key", hint: "Reads data: Bearer token for /api/v1/profiles. Keep it on your servers." },
} as const;

export function ApiKeysSettings({ appUrl }: { appUrl: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.keys.list.queryOptions());
  const [name, setName] = useState("");
  const [kind, setKind] = useState<"write" | "secret">("write");
  const [created, setCreated] = useState<{ name: string; key: string; kind: "write" | "secret" } | null>(null);
  const [copied, setCopied] = useState(false);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.keys.pathKey() });

  const create = useMutation(
    trpc.keys.create.mutationOptions({
      onSuccess: async (result) => {
        setCreated({ name: result.name, key: result.key, kind: result.kind });
        setCopied(false);
        setName("");
        await refresh();
      },
      onError: (error) => {
        if (Object.keys(fieldErrors(error)).length === 0) toast.error(errorMessage(error));
      },
    }),
  );
  const revoke = useMutation(
    trpc.keys.revoke.mutationOptions({
      onSuccess: async () => {
        toast.success("Key revoked: requests with it are refused from now on");
        setRevoking(null);
        await refresh();
      },
      onError: (error) => toast.error(errorMessage(error)),
    }),
  );
  const errors = fieldErrors(create.error);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ name, kind });
  }

  return (
    <div className="space-y-6">
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        pending={revoke.isPending}
        onCancel={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate({ keyId: revoking.id })}
      >
        Everything that uses “{revoking?.name}” stops working immediately. This cannot be undone.
      </ConfirmDialog>
      <Card>
        <CardHeader title="Create a key" description="Keys are shown once and stored hashed. Revoke a key you no longer trust." />
        <CardBody className="space-y-4">
          <form onSubmit={onSubmit} className="flex flex-wrap items-start gap-3" noValidate>
            <Field label="Name" error={errors.name} className="min-w-64 flex-1">
              {(p) => <Input {...p} placeholder="Website (production)" value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
            <Field label="Type" hint={KIND_TEXT[kind].hint} className="w-72">
              {(p) => (
                <Select {...p} value={kind} onChange={(e) => setKind(e.target.value as "write" | "secret")}>
                  <option value="write">Write key (send events)</option>
                  <option value="secret">Secret key (read API)</option>
                </Select>
              )}
            </Field>
            <Button type="submit" className="mt-[26px]" loading={create.isPending}>
              <KeyRound className="size-4" aria-hidden="true" /> Create key
            </Button>
          </form>
          {created && (
            <div className="rounded-lg border border-emerald-200 bg-emerald-50 p-3" role="status">
              <p className="text-sm font-medium text-emerald-900">
                {KIND_TEXT[created.kind].label} “{created.name}” created. Copy it now — it will not be shown again.
              </p>
              <div className="mt-2 flex items-center gap-2">
                <Input readOnly value={created.key} aria-label="New key" data-testid="new-key" className="font-mono text-xs" onFocus={(e) => e.target.select()} />
                <Button
                  variant="secondary"
                  onClick={async () => {
                    await navigator.clipboard?.writeText(created.key).catch(() => {});
                    setCopied(true);
                  }}
                >
                  {copied ? <Check className="size-4" aria-hidden="true" /> : <Copy className="size-4" aria-hidden="true" />}
                  {copied ? "Copied" : "Copy"}
                </Button>
              </div>
              {created.kind === "write" && (
                <pre className="mt-3 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs leading-relaxed text-slate-100">
                  {`import { Analytics } from "@segment/analytics-node";\n\nconst analytics = new Analytics({\n  writeKey: "${created.key}",\n  host: "${appUrl}",\n  path: "/api/v1/batch",\n});\nanalytics.track({ userId: "user-1", event: "purchase", properties: { amount: 129 } });`}
                </pre>
              )}
            </div>
          )}
        </CardBody>
      </Card>

      {keys.isError ? (
        <QueryError error={keys.error} what="API keys" onRetry={() => void keys.refetch()} retrying={keys.isRefetching} />
      ) : keys.data?.length === 0 ? (
        <EmptyState icon={KeyRound} title="No API keys yet" description="Create a write key to start sending events, or a secret key to read profiles from your servers." />
      ) : (
        <Card>
          <CardHeader title="Keys" />
          <table className="w-full text-left text-sm" data-testid="keys-table">
            <thead className="border-b border-slate-100 text-xs text-slate-500">
              <tr>
                <th scope="col" className="px-5 py-2.5 font-medium">Name</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Type</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Key</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Created</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Last used</th>
                <th scope="col" className="px-5 py-2.5"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {keys.isPending && (
                <tr>
                  <td colSpan={6} className="px-5 py-4 text-slate-400">Loading keys…</td>
                </tr>
              )}
              {keys.data?.map((key) => (
                <tr key={key.id} className={key.revokedAt ? "text-slate-400" : undefined}>
                  <td className="px-5 py-3 font-medium text-slate-900">
                    <span className={key.revokedAt ? "text-slate-400 line-through" : undefined}>{key.name}</span>
                    {key.createdBy && <p className="text-xs font-normal text-slate-500">by {key.createdBy.email}</p>}
                  </td>
                  <td className="px-5 py-3">
                    <Badge tone={key.kind === "write" ? "brand" : "amber"}>{KIND_TEXT[key.kind].label}</Badge>
                  </td>
                  <td className="px-5 py-3 font-mono text-xs">{key.prefix}</td>
                  <td className="px-5 py-3 text-slate-500">{formatDate(key.createdAt)}</td>
                  <td className="px-5 py-3 text-slate-500">{key.revokedAt ? `Revoked ${relativeTime(key.revokedAt)}` : key.lastUsedAt ? relativeTime(key.lastUsedAt) : "Never"}</td>
                  <td className="px-5 py-3 text-right">
                    {!key.revokedAt && (
                      <Button variant="ghost" size="sm" aria-label={`Revoke ${key.name}`} onClick={() => setRevoking({ id: key.id, name: key.name })}>
                        Revoke
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
    </div>
  );
}
