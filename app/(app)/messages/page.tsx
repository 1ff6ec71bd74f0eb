import type { Metadata } from "next";
import { Mail } from "lucide-react";
import { AreaEmpty } from "@/components/shell/area-placeholder";

export const metadata: Metadata = { title: "Messages" };

export default function Page() {
  return (
    <AreaEmpty
      title="Messages"
      description="Everything Junction sent, by channel, with delivery status."
      icon={Mail}
      emptyTitle="No messages sent yet"
      emptyText="Messages sent by journeys show up here with their delivery status, so you can see who received what and when."
      examples={[
        "Email through your SMTP server",
        "SMS through your provider",
        "Push to iOS and Android",
        "Webhooks to your own systems",
      ]}
    />
  );
}
