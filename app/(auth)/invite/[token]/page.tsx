import type { Metadata } from "next";
import Link from "next/link";
import { SignUpForm } from "@/components/auth/sign-up-form";
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
  return (
    <>
      <h1 className="text-xl font-semibold text-slate-900">Join {invitation.workspace.name}</h1>
      <p className="mt-1 mb-6 text-sm text-slate-500">
        You were invited as <strong className="text-slate-700">{ROLE_LABELS[invitation.role as Role]}</strong>. Choose your name
        and a password to finish.
      </p>
      <SignUpForm mode="invite" token={token} email={invitation.email} />
    </>
  );
}
