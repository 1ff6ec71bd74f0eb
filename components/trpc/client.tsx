"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpLink, splitLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import type { AppRouter } from "@/server/api/root";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/**
 * For queries whose work the server can stop (previews): their requests are aborted when
 * React Query cancels them (the preview's Cancel, or an older draft nobody waits for), and
 * the server then cancels their queries in Postgres. tRPC sends no abort signal unless asked.
 */
export const ABORTABLE = { trpc: { abortOnUnmount: true } };

/**
 * For counts that change while a page is open (segment sizes, previews, the dashboard):
 * refetched when the person comes back to the tab and every 15 s while it is visible
 * (TanStack Query skips the interval for hidden tabs).
 */
export const LIVE = { refetchInterval: 15_000, refetchOnWindowFocus: "always" as const };

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        retry: (failures, error) => {
          // Never retry what will fail again: auth, roles, validation.
          if (error instanceof TRPCClientError && error.data?.httpStatus && error.data.httpStatus < 500) return false;
          return failures < 2;
        },
      },
    },
  });
}

const UNBATCHED = new Set(["segments.estimate", "segments.exact", "segments.members", "segments.histogram", "segments.explain"]);

export function TrpcProviders({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        // Live previews travel alone: in a batch, a millisecond estimate would wait for the
        // slowest query sent with it (an exact count, the sample members of a rare segment).
        splitLink({
          condition: (op) => UNBATCHED.has(op.path),
          true: httpLink({ url: "/api/trpc", transformer: superjson }),
          false: httpBatchLink({ url: "/api/trpc", transformer: superjson }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** Field messages from a failed mutation, keyed by input path ("email", "members.0.role"). */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof TRPCClientError)) return {};
  const raw = (error.data as { fieldErrors?: Record<string, string[]> | null } | undefined)?.fieldErrors;
  if (!raw) return {};
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v[0] ?? "Invalid"]));
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return "Something went wrong. Please try again.";
}
