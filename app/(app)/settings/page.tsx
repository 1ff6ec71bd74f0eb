import type { Metadata } from "next";
import { FrequencyCapsSettings } from "@/components/settings/frequency-caps";
import { GeneralSettings } from "@/components/settings/general-settings";

export const metadata: Metadata = { title: "Settings" };

export default function SettingsPage() {
  return (
    <div className="space-y-6">
      <GeneralSettings />
      <FrequencyCapsSettings />
    </div>
  );
}
