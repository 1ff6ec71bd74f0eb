import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignUpForm } from "@/components/auth/sign-up-form";
import { db } from "@/server/db";

export const metadata: Metadata = { title: "Set up Junction" };
export const dynamic = "force-dynamic";

export default async function SetupPage() {
  // Only an empty instance can be set up; after that, people join by invitation.
  if ((await db().user.count()) > 0) redirect("/login");
  return (
    <>
      <h1 className="text-xl font-semibold text-slate-900">Set up Junction</h1>
      <p className="mt-1 mb-6 text-sm text-slate-500">
        Create the first account. You will be the admin of a new workspace and can invite your team next.
      </p>
      <SignUpForm mode="setup" />
    </>
  );
}
