"use client";

import { useRouter } from "next/navigation";
import { authClient } from "../auth/auth-client";
import { Button } from "../ui/button";
import { Logo } from "./logo";

export function NoWorkspace({ email }: { email: string }) {
  const router = useRouter();
  return (
    <main className="flex min-h-screen flex-col items-center justify-center px-4">
      <Logo className="mb-8" />
      <div className="max-w-md rounded-2xl border border-slate-200 bg-white p-8 text-center shadow-sm">
        <h1 className="text-lg font-semibold text-slate-900">No workspace access</h1>
        <p className="mt-2 text-sm text-slate-500">
          You are signed in as {email}, but you are not a member of any workspace. Ask an admin to invite you again.
        </p>
        <Button
          variant="secondary"
          className="mt-6"
          onClick={async () => {
            await authClient.signOut();
            router.replace("/login");
            router.refresh();
          }}
        >
          Sign out
        </Button>
      </div>
    </main>
  );
}
