"use client";

import { TRPCClientError } from "@trpc/client";
import { DatabaseZap, TriangleAlert } from "lucide-react";
import { Button } from "./button";

/** True when the server said its database is unreachable (503). */
export function isUnavailable(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as { httpStatus?: number } | undefined)?.httpStatus === 503;
}

/**
 * A list or panel whose data could not be loaded: what failed, why in plain words, and a
 * way to try again — never an empty table that looks like "nothing here".
 */
export function QueryError({ error, what, onRetry, retrying }: { error: unknown; what: string; onRetry: () => void; retrying?: boolean }) {
  const down = isUnavailable(error);
  const Icon = down ? DatabaseZap : TriangleAlert;
  return (
    <div role="alert" className="flex flex-col items-center rounded-xl border border-red-200 bg-red-50/60 px-6 py-12 text-center">
      <div className="flex size-12 items-center justify-center rounded-full bg-red-100 text-red-700">
        <Icon className="size-6" aria-hidden="true" />
      </div>
      <h2 className="mt-4 text-base font-semibold text-slate-900">{down ? "Junction can’t reach its database" : `Couldn’t load ${what}`}</h2>
      <p className="mt-1.5 max-w-md text-sm text-slate-600">
        {down
          ? `Your ${what} are safe; they can’t be shown until the database is back. Try again in a moment.`
          : error instanceof Error
            ? error.message
            : "Something went wrong."}
      </p>
      <Button variant="secondary" className="mt-6" loading={retrying} onClick={onRetry}>
        Try again
      </Button>
    </div>
  );
}
