import type { Metadata } from "next";
import { DeliveryList } from "@/components/messages/delivery-list";

export const metadata: Metadata = { title: "Deliveries" };

export default function Page() {
  return <DeliveryList />;
}
