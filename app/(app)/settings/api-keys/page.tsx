import type { Metadata } from "next";
import { ApiKeysSettings } from "@/components/settings/api-keys-settings";
import { requirePageRole } from "@/server/auth/guards";
import { env } from "@/server/env";

export const metadata: Metadata = { title: "API keys" };

export default async function ApiKeysPage() {
  await requirePageRole("admin");
  return <ApiKeysSettings appUrl={env().APP_URL} />;
}
