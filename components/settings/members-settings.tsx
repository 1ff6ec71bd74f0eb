"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Check, Copy, Link2, UserMinus } from "lucide-react";
import { useState, type FormEvent } from "react";
import { toast } from "sonner";
import { ROLE_LABELS, ROLES, type Role } from "@/lib/auth/roles";
import { formatDate, relativeTime } from "@/lib/format";
import { errorMessage, fieldErrors, useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { QueryError } from "../ui/query-error";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Field, Input, Select } from "../ui/field";

const ROLE_OPTIONS = [...ROLES].reverse();

export function MembersSettings({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useQuery(trpc.members.list.queryOptions());
  const [removing, setRemoving] = useState<{ userId: string; email: string } | null>(null);
  const invitations = useQuery(trpc.members.invitations.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.members.pathKey() });

  const changeRole = useMutation(
    trpc.members.changeRole.mutationOptions({
      onSuccess: async () => {
        toast.success("Role updated");
        await refresh();
      },
      onError: (error) => toast.error(errorMessage(error)),
    }),
  );
  const remove = useMutation(
    trpc.members.remove.mutationOptions({
      onSuccess: async () => {
        toast.success("Member removed");
        setRemoving(null);
        await refresh();
      },
      onError: (error) => toast.error(errorMessage(error)),
    }),
  );
  const revoke = useMutation(
    trpc.members.revokeInvitation.mutationOptions({
      onSuccess: async () => {
        toast.success("Invitation revoked");
        await refresh();
      },
      onError: (error) => toast.error(errorMessage(error)),
    }),
  );

  return (
    <div className="space-y-6">
      <ConfirmDialog
        open={removing !== null}
        title="Remove member?"
        confirmLabel="Remove"
        pending={remove.isPending}
        onCancel={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate({ userId: removing.userId })}
      >
        {removing?.email} loses access to this workspace right away. You can invite them again later.
      </ConfirmDialog>
      <InviteCard onInvited={refresh} />
      {members.isError && <QueryError error={members.error} what="members" onRetry={() => void members.refetch()} retrying={members.isRefetching} />}
      <Card className={members.isError ? "hidden" : undefined}>
        <CardHeader title="Members" description="Everyone with access to this workspace." />
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-slate-100 text-xs font-medium text-slate-500">
              <tr>
                <th scope="col" className="px-5 py-2.5 font-medium">Name</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Role</th>
                <th scope="col" className="px-5 py-2.5 font-medium">Joined</th>
                <th scope="col" className="px-5 py-2.5"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {members.isPending && (
                <tr>
                  <td colSpan={4} className="px-5 py-4 text-slate-400">Loading members…</td>
                </tr>
              )}
              {members.data?.map((member) => {
                const self = member.userId === currentUserId;
                return (
                  <tr key={member.userId} data-testid={`member-${member.email}`}>
                    <td className="px-5 py-3">
                      <p className="font-medium text-slate-900">
                        {member.name} {self && <Badge className="ml-1">You</Badge>}
                      </p>
                      <p className="text-slate-500">{member.email}</p>
                    </td>
                    <td className="px-5 py-3">
                      <label className="sr-only" htmlFor={`role-${member.userId}`}>Role of {member.email}</label>
                      <Select
                        id={`role-${member.userId}`}
                        className="w-36"
                        value={member.role}
                        disabled={self || changeRole.isPending}
                        onChange={(e) => changeRole.mutate({ userId: member.userId, role: e.target.value as Role })}
                      >
                        {ROLE_OPTIONS.map((role) => (
                          <option key={role} value={role}>{ROLE_LABELS[role]}</option>
                        ))}
                      </Select>
                    </td>
                    <td className="px-5 py-3 text-slate-500">{formatDate(member.joinedAt)}</td>
                    <td className="px-5 py-3 text-right">
                      {!self && (
                        <Button
                          variant="ghost"
                          size="sm"
                          aria-label={`Remove ${member.email}`}
                          onClick={() => setRemoving({ userId: member.userId, email: member.email })}
                        >
                          <UserMinus className="size-4" aria-hidden="true" /> Remove
                        </Button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </Card>
      <Card>
        <CardHeader title="Pending invitations" description="Links expire after 7 days. A new invitation for the same address replaces the old one." />
        {invitations.data?.length === 0 ? (
          <CardBody>
            <p className="text-sm text-slate-500">No open invitations.</p>
          </CardBody>
        ) : (
          <ul className="divide-y divide-slate-100">
            {invitations.data?.map((invitation) => (
              <li key={invitation.id} data-testid="pending-invitation" className="flex items-center gap-4 px-5 py-3 text-sm">
                <div className="min-w-0 flex-1">
                  <p className="truncate font-medium text-slate-900">{invitation.email}</p>
                  <p className="text-slate-500">
                    Invited {relativeTime(invitation.createdAt)} · expires {formatDate(invitation.expiresAt)}
                  </p>
                </div>
                <Badge>{ROLE_LABELS[invitation.role as Role]}</Badge>
                <Button variant="ghost" size="sm" onClick={() => revoke.mutate({ invitationId: invitation.id })}>
                  Revoke
                </Button>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

function InviteCard({ onInvited }: { onInvited: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("marketer");
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const invite = useMutation(
    trpc.members.invite.mutationOptions({
      onSuccess: async (result) => {
        setLink({ email: result.email, url: result.link });
        setCopied(false);
        setEmail("");
        toast.success(`Invitation for ${result.email} created`);
        await onInvited();
      },
      onError: (error) => {
        if (Object.keys(fieldErrors(error)).length === 0) toast.error(errorMessage(error));
      },
    }),
  );
  const errors = fieldErrors(invite.error);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    invite.mutate({ email, role });
  }

  async function copy() {
    if (!link) return;
    await navigator.clipboard?.writeText(link.url).catch(() => {});
    setCopied(true);
  }

  return (
    <Card>
      <CardHeader title="Invite a member" description="Create a sign-up link and send it to your colleague. No mail server needed." />
      <CardBody className="space-y-4">
        <form onSubmit={onSubmit} className="flex flex-wrap items-start gap-3" noValidate>
          <Field label="Email address" error={errors.email} className="min-w-64 flex-1">
            {(p) => <Input {...p} type="email" placeholder="colleague@company.com" value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <Field label="Role" error={errors.role} className="w-40">
            {(p) => (
              <Select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                {ROLE_OPTIONS.map((r) => (
                  <option key={r} value={r}>{ROLE_LABELS[r]}</option>
                ))}
              </Select>
            )}
          </Field>
          <Button type="submit" className="mt-[26px]" loading={invite.isPending}>
            <Link2 className="size-4" aria-hidden="true" /> Create invite link
          </Button>
        </form>
        {link && (
          <div className="rounded-lg border border-emerald-200 bg-emerald-50 p-3">
            <p className="text-sm font-medium text-emerald-900">Send this link to {link.email}:</p>
            <div className="mt-2 flex items-center gap-2">
              <Input readOnly value={link.url} aria-label="Invitation link" data-testid="invite-link" className="font-mono text-xs" onFocus={(e) => e.target.select()} />
              <Button variant="secondary" onClick={copy}>
                {copied ? <Check className="size-4" aria-hidden="true" /> : <Copy className="size-4" aria-hidden="true" />}
                {copied ? "Copied" : "Copy"}
              </Button>
            </div>
            <p className="mt-2 text-xs text-emerald-800">The link is shown once and works for 7 days.</p>
          </div>
        )}
      </CardBody>
    </Card>
  );
}
