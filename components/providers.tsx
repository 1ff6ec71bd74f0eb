"use client";

import type { ReactNode } from "react";
import { Toaster } from "sonner";
import { TrpcProviders } from "./trpc/client";

export function Providers({ children }: { children: ReactNode }) {
  return (
    <TrpcProviders>
      {children}
      {/* Top centre: never over a row's buttons (Revoke, Archive) at the right or the paging at the bottom. */}
      <Toaster position="top-center" richColors closeButton />
    </TrpcProviders>
  );
}
