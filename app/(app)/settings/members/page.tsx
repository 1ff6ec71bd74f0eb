import type { Metadata } from "next";
import { MembersSettings } from "@/components/settings/members-settings";
import { requirePageAccess } from "@/server/auth/guards";

export const metadata: Metadata = { title: "Members" };

export default async function MembersPage() {
  const viewer = await requirePageAccess("members.manage");
  return <MembersSettings currentUserId={viewer.user.id} />;
}
