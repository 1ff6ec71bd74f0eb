import type { Metadata } from "next";
import { ApiKeysSettings } from "@/components/settings/api-keys-settings";
import { requirePageAccess } from "@/server/auth/guards";
import { env } from "@/server/env";

export const metadata: Metadata = { title: "API keys" };

export default async function ApiKeysPage() {
  await requirePageAccess("keys.manage");
  return <ApiKeysSettings appUrl={env().APP_URL} />;
}
