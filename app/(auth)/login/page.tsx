import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignInForm } from "@/components/auth/sign-in-form";
import { currentViewer } from "@/server/auth/session";
import { db } from "@/server/db";
import { env } from "@/server/env";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function LoginPage() {
  if (await currentViewer()) redirect("/");
  if ((await db().user.count()) === 0) redirect("/setup");
  return <SignInForm demo={env().JUNCTION_DEMO} />;
}
