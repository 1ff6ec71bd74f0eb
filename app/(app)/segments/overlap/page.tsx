import type { Metadata } from "next";
import { OverlapView } from "@/components/segments/overlap-view";

export const metadata: Metadata = { title: "Segment overlap" };

export default function Page() {
  return <OverlapView />;
}
