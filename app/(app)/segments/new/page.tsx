import type { Metadata } from "next";
import { SegmentBuilder } from "@/components/segments/segment-builder";

export const metadata: Metadata = { title: "New segment" };

export default async function Page({ searchParams }: { searchParams: Promise<{ starter?: string }> }) {
  const { starter } = await searchParams;
  return <SegmentBuilder starter={starter} />;
}
