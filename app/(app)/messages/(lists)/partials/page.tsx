import type { Metadata } from "next";
import { PartialList } from "@/components/messages/partial-list";

export const metadata: Metadata = { title: "Partials" };

export default function Page() {
  return <PartialList />;
}
