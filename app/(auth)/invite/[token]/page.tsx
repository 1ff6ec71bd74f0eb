import type { Metadata } from "next";
import Link from "next/link";
import { AcceptInvitation, WrongAccount } from "@/components/auth/accept-invitation";
import { SignUpForm } from "@/components/auth/sign-up-form";
import { currentViewer } from "@/server/auth/session";
import { db } from "@/server/db";
import { findOpenInvitation } from "@/server/workspaces/service";
import { ROLE_LABELS, type Role } from "@/lib/auth/roles";

export const metadata: Metadata = { title: "Join a workspace" };
export const dynamic = "force-dynamic";

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const invitation = await findOpenInvitation(db(), token);
  if (!invitation) {
    return (
      <>
        <h1 className="text-xl font-semibold text-slate-900">This invitation can’t be used</h1>
        <p className="mt-2 text-sm text-slate-500">
          The link is invalid, has expired, was revoked or was already used. Ask an admin of your workspace for a new one.
        </p>
        <Link href="/login" className="mt-6 inline-block text-sm font-medium text-brand-600 hover:text-brand-700">
          Go to sign in →
        </Link>
      </>
    );
  }
  const viewer = await currentViewer();
  // An account for this address exists (e.g. a member who was removed): they sign in to accept.
  const hasAccount = Boolean(await db().user.findFirst({ where: { email: { equals: invitation.email, mode: "insensitive" } }, select: { id: true } }));
  const signedInAsInvited = viewer?.user.email.toLowerCase() === invitation.email;
  return (
    <>
      <h1 className="text-xl font-semibold text-slate-900">Join {invitation.workspace.name}</h1>
      <p className="mt-1 mb-6 text-sm text-slate-500">
        You were invited as <strong className="text-slate-700">{ROLE_LABELS[invitation.role as Role]}</strong>.
        {hasAccount ? "" : " Choose your name and a password to finish."}
      </p>
      {viewer && !signedInAsInvited ? (
        <WrongAccount email={viewer.user.email} invited={invitation.email} />
      ) : hasAccount ? (
        <AcceptInvitation token={token} email={invitation.email} workspaceName={invitation.workspace.name} signedIn={signedInAsInvited} />
      ) : (
        <SignUpForm mode="invite" token={token} email={invitation.email} />
      )}
    </>
  );
}
