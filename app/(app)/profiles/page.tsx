import type { Metadata } from "next";
import { ProfileList } from "@/components/profiles/profile-list";

export const metadata: Metadata = { title: "Profiles" };

export default function ProfilesPage() {
  return <ProfileList />;
}
