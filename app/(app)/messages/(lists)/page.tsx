import type { Metadata } from "next";
import { TemplateList } from "@/components/messages/template-list";

export const metadata: Metadata = { title: "Messages" };

export default function Page() {
  return <TemplateList />;
}
