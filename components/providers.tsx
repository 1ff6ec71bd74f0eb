"use client";

import type { ReactNode } from "react";
import { Toaster } from "sonner";
import { TrpcProviders } from "./trpc/client";

export function Providers({ children }: { children: ReactNode }) {
  return (
    <TrpcProviders>
      {children}
      <Toaster position="bottom-right" richColors closeButton />
    </TrpcProviders>
  );
}
