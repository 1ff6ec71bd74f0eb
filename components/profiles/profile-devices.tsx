"use client";

import { useQuery } from "@tanstack/react-query";
import { Smartphone } from "lucide-react";
import { DEVICE_KIND_LABELS, DEVICE_REGISTERED, type DeviceKind } from "@/lib/channels/devices";
import { formatCountOf, formatDateTime, relativeTime } from "@/lib/format";
import { useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Card, CardHeader } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { QueryError } from "../ui/query-error";

const kindLabel = (kind: string) => DEVICE_KIND_LABELS[kind as DeviceKind] ?? kind;

const EXAMPLE = `// In the app, once the FCM token is known:
analytics.track("${DEVICE_REGISTERED}", { kind: "fcm", token, platform: "android" });

// In the browser, after pushManager.subscribe(…):
analytics.track("${DEVICE_REGISTERED}", { kind: "webpush", subscription: subscription.toJSON() });`;

/**
 * The profile page's Devices tab: where push notifications to this person go — their apps'
 * FCM tokens and their browsers' Web Push subscriptions, tokens shortened (the server never
 * sends more), when each was registered and last seen.
 */
export function ProfileDevices({ profileId }: { profileId: string }) {
  const trpc = useTRPC();
  const devices = useQuery(trpc.profiles.devices.queryOptions({ profileId }));

  if (devices.isError) return <QueryError error={devices.error} what="devices" onRetry={() => void devices.refetch()} retrying={devices.isRefetching} />;
  if (devices.isPending) return <div className="h-40 animate-pulse rounded-xl bg-slate-100" />;
  if (devices.data.devices.length === 0) {
    return (
      <EmptyState
        icon={Smartphone}
        title="No devices"
        description={`Push notifications need a device. Your app or site registers one through the tracking API with a track call named “${DEVICE_REGISTERED}”, sent with this person's userId or anonymousId.`}
      >
        <pre className="max-w-full overflow-x-auto rounded-md border border-slate-200 bg-slate-50 p-3 text-left font-mono text-xs text-slate-700">{EXAMPLE}</pre>
      </EmptyState>
    );
  }
  const rows = devices.data.devices;
  return (
    <Card>
      <CardHeader
        title="Devices"
        description={`${formatCountOf(rows.length, "device")}${devices.data.more ? " (the most recently seen)" : ""} this person's push notifications go to. When someone else registers the same device, it moves to them.`}
      />
      <div className="overflow-x-auto">
        <table className="w-full text-sm" data-testid="devices">
          <thead>
            <tr className="border-b border-slate-100 text-left text-xs font-medium text-slate-500">
              <th scope="col" className="px-5 py-2 font-medium">Kind</th>
              <th scope="col" className="px-3 py-2 font-medium">Platform</th>
              <th scope="col" className="px-3 py-2 font-medium">Token</th>
              <th scope="col" className="px-3 py-2 font-medium">Registered</th>
              <th scope="col" className="px-5 py-2 font-medium">Last seen</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {rows.map((d) => (
              <tr key={d.id} data-testid="device" data-kind={d.kind}>
                <td className="px-5 py-2.5">
                  <Badge tone={d.kind === "fcm" ? "amber" : "brand"}>{kindLabel(d.kind)}</Badge>
                </td>
                <td className="px-3 py-2.5 text-slate-700">{d.platform ?? "—"}</td>
                <td className="px-3 py-2.5 font-mono text-xs text-slate-800" title="Shortened: the full token is never shown">
                  {d.token}
                </td>
                <td className="px-3 py-2.5 text-slate-600">
                  <time dateTime={d.createdAt.toISOString()} title={formatDateTime(d.createdAt)}>{relativeTime(d.createdAt)}</time>
                </td>
                <td className="px-5 py-2.5 text-slate-600">
                  <time dateTime={d.lastSeenAt.toISOString()} title={formatDateTime(d.lastSeenAt)}>{relativeTime(d.lastSeenAt)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
