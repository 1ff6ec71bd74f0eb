import type { Db } from "@/server/db/client";
import { bumpDataVersionPrisma } from "@/server/workspaces/data-version";

/**
 * The demo workspace's consent: three subscription groups and, for a fixed share of the
 * people (chosen by bucket, so the same people every time), answers with their history —
 * so "not subscribed to Product news" or "subscribed to SMS offers" have members, and the
 * profile page shows where and when people said yes or no.
 */
export const DEMO_GROUPS = [
  { key: "news", name: "Product news", description: "New classes, features and offers, about twice a month.", channel: "email", mode: "opt_out", purpose: "marketing" },
  { key: "orders", name: "Order updates", description: "Receipts, booking confirmations and changes to your orders.", channel: "email", mode: "opt_out", purpose: "transactional" },
  { key: "sms", name: "SMS offers", description: "Short offers by text message, at most once a week.", channel: "sms", mode: "opt_in", purpose: "marketing" },
] as const;

/**
 * Creates the groups and the answers for the workspace's people, in one transaction. About
 * 12 % of people with an email left Product news (on the preference page or in one click),
 * 3 % said yes to it explicitly at sign-up; 1 % asked support to stop Order updates; 18 %
 * opted in to SMS offers at checkout, and a sixth of those left again.
 */
export async function seedDemoConsent(db: Db, workspaceId: string, now: Date): Promise<{ groups: number; answers: number }> {
  return db.$transaction(async (tx) => {
    const ids: Record<string, string> = {};
    for (const { key, ...group } of DEMO_GROUPS) ids[key] = (await tx.subscriptionGroup.create({ data: { workspaceId, ...group } })).id;
    // (group, which people by bucket % 100, answer, source, wording, days ago from bucket)
    const answers: { group: string; from: number; to: number; subscribed: boolean; source: string; text: string | null; emailOnly: boolean }[] = [
      { group: ids.news!, from: 0, to: 8, subscribed: false, source: "preference_page", text: "preference-page-v1", emailOnly: true },
      { group: ids.news!, from: 8, to: 12, subscribed: false, source: "one_click", text: null, emailOnly: true },
      { group: ids.news!, from: 12, to: 15, subscribed: true, source: "api", text: "signup-form-v2", emailOnly: true },
      { group: ids.orders!, from: 99, to: 100, subscribed: false, source: "admin", text: null, emailOnly: true },
      { group: ids.sms!, from: 40, to: 58, subscribed: true, source: "api", text: "checkout-sms-consent-v1", emailOnly: false },
    ];
    let total = 0;
    for (const a of answers) {
      // The time of the answer: 1–120 days ago, spread by bucket.
      total += await tx.$executeRaw`
        WITH chosen AS (
          SELECT id, ${now}::timestamptz - make_interval(days => (1 + (bucket * 7) % 120)::int) AS at
            FROM profiles
           WHERE workspace_id = ${workspaceId} AND bucket % 100 >= ${a.from}::int AND bucket % 100 < ${a.to}::int
             AND (NOT ${a.emailOnly}::boolean OR email IS NOT NULL)),
        states AS (
          INSERT INTO subscription_states (profile_id, group_id, subscribed, updated_at)
          SELECT id, ${a.group}::text, ${a.subscribed}::boolean, at FROM chosen
          RETURNING profile_id)
        INSERT INTO consent_records (id, workspace_id, profile_id, group_id, subscribed, source, text_version, at)
        SELECT gen_random_uuid()::text, ${workspaceId}::text, id, ${a.group}::text, ${a.subscribed}::boolean, ${a.source}::text, ${a.text}::text, at FROM chosen`;
    }
    // A sixth of the SMS subscribers left again later, by replying STOP (recorded through the API).
    total += await tx.$executeRaw`
      WITH left_again AS (
        UPDATE subscription_states s SET subscribed = false, updated_at = least(${now}::timestamptz, s.updated_at + interval '9 days')
          FROM profiles p
         WHERE s.profile_id = p.id AND s.group_id = ${ids.sms!}::text AND p.workspace_id = ${workspaceId} AND p.bucket % 100 < 43
        RETURNING s.profile_id, s.updated_at)
      INSERT INTO consent_records (id, workspace_id, profile_id, group_id, subscribed, source, text_version, at)
      SELECT gen_random_uuid()::text, ${workspaceId}::text, profile_id, ${ids.sms!}::text, false, 'api', 'sms-stop-reply', updated_at FROM left_again`;
    await bumpDataVersionPrisma(tx, workspaceId, { changes: Math.max(1, total), profiles: 0 });
    return { groups: DEMO_GROUPS.length, answers: total };
  });
}
