import type { Metadata } from "next";
import { TemplateEditor } from "@/components/messages/template-editor";

export const metadata: Metadata = { title: "Template" };

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <TemplateEditor templateId={id} />;
}
