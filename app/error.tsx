"use client";

import { DatabaseZap, TriangleAlert } from "lucide-react";
import { useRouter } from "next/navigation";
import { startTransition, useEffect, useState } from "react";
import { Button } from "@/components/ui/button";

/**
 * A page that failed to render. Production hides the reason from the browser, so ask the
 * health endpoint whether the database is the cause and say so plainly.
 */
export default function PageError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const router = useRouter();
  const [databaseDown, setDatabaseDown] = useState<boolean | null>(null);
  useEffect(() => {
    fetch("/api/v1/health", { cache: "no-store" })
      .then((res) => res.json() as Promise<{ database?: { status?: string } }>)
      .then((health) => setDatabaseDown(health.database?.status === "down"))
      .catch(() => setDatabaseDown(false));
  }, []);
  const Icon = databaseDown ? DatabaseZap : TriangleAlert;
  return (
    <main className="flex min-h-[70vh] flex-col items-center justify-center px-4 text-center">
      <div role="alert" className="flex max-w-md flex-col items-center rounded-2xl border border-slate-200 bg-white p-8 shadow-sm">
        <div className="flex size-12 items-center justify-center rounded-full bg-red-100 text-red-700">
          <Icon className="size-6" aria-hidden="true" />
        </div>
        <h1 className="mt-4 text-lg font-semibold text-slate-900">{databaseDown ? "Junction can’t reach its database" : "This page couldn’t be shown"}</h1>
        <p className="mt-2 text-sm text-slate-500">
          {databaseDown
            ? "The database is down or restarting. Nothing is lost: events sent meanwhile are retried by their senders. Try again in a moment."
            : "Something went wrong on our side. Try again; if it keeps happening, tell your admin."}
        </p>
        <Button
          className="mt-6"
          onClick={() =>
            // The page is rendered on the server: fetch it again, then leave the error state.
            startTransition(() => {
              router.refresh();
              reset();
            })
          }
        >
          Try again
        </Button>
      </div>
    </main>
  );
}
