import type { Metadata } from "next";
import { ChannelsSettings } from "@/components/settings/channels-settings";
import { requirePageAccess } from "@/server/auth/guards";
import { env } from "@/server/env";

export const metadata: Metadata = { title: "Channels" };

export default async function ChannelsPage() {
  const viewer = await requirePageAccess("workspace.read");
  return <ChannelsSettings role={viewer.membership.role} privateNetworkAllowed={env().JUNCTION_ALLOW_PRIVATE_NETWORK} />;
}
