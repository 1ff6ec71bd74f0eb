import type { Metadata } from "next";
import type { ReactNode } from "react";
import { connection } from "next/server";
import { Providers } from "@/components/providers";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Junction", template: "%s · Junction" },
  description: "Segments and journeys, self-hosted.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page renders per request, so each gets its Content-Security-Policy nonce
  // (scripts/serve.ts): a page prerendered at build time would carry none.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
