import { describe, expect, it } from "vitest";
import { bucketOf } from "@/lib/profiles/bucket";
import {
  DEMO_EVENT_NAMES,
  PERSONAS,
  demoTotals,
  generateDemoData,
  type DemoEvent,
  type DemoIdentity,
  type DemoOptions,
  type DemoProfile,
  type DemoRow,
  type IdentityClass,
  type Persona,
} from "./generator";

const DAY = 86_400_000;
const now = new Date("2026-06-01T12:00:00.000Z");
const base: DemoOptions = { workspaceId: "ws_test", profiles: 2_000, events: 30_000, seed: 42, now };

function serialise(options: DemoOptions): string[] {
  return [...generateDemoData(options)].map((row) => JSON.stringify(row));
}

interface Person {
  profile: DemoProfile;
  persona: Persona;
  identity: IdentityClass;
  identities: DemoIdentity[];
  events: { row: DemoEvent; userId: string | null; anonymousId: string | null }[];
}

function collect(rows: Iterable<DemoRow>): Map<string, Person> {
  const people = new Map<string, Person>();
  let current: Person | undefined;
  for (const item of rows) {
    if (item.table === "profiles") {
      current = { profile: item.row, persona: item.persona, identity: item.identity, identities: [], events: [] };
      people.set(item.row.id, current);
    } else if (item.table === "profile_identities") {
      expect(item.row.profileId).toBe(current?.profile.id);
      current!.identities.push(item.row);
    } else {
      expect(item.row.profileId).toBe(current?.profile.id);
      current!.events.push(item);
    }
  }
  return people;
}

const sample = collect(generateDemoData(base));
const people = [...sample.values()];
const byPersona = (persona: Persona) => people.filter((p) => p.persona === persona);
const named = (p: Person, name: string) => p.events.filter((e) => e.row.name === name);

describe("demo data generator", () => {
  it("is deterministic: the same options give byte-identical rows", () => {
    const small = { ...base, profiles: 150, events: 2_500 };
    expect(serialise(small)).toEqual(serialise(small));
  });

  it("gives different data for another seed, another workspace or another clock", () => {
    const small = { ...base, profiles: 50, events: 600 };
    const reference = serialise(small);
    for (const variant of [{ seed: 43 }, { workspaceId: "ws_other" }, { now: new Date(now.getTime() + 1_000) }]) {
      const other = serialise({ ...small, ...variant });
      expect(other.length).toBeGreaterThan(650);
      expect(other).not.toEqual(reference);
    }
    const ids = (rows: string[]) => new Set(rows.map((r) => JSON.parse(r)).filter((r) => r.table === "profiles").map((r) => r.row.id));
    const mine = ids(reference);
    expect([...ids(serialise({ ...small, seed: 43 }))].some((id) => mine.has(id))).toBe(false);
    expect([...ids(serialise({ ...small, workspaceId: "ws_other" }))].some((id) => mine.has(id))).toBe(false);
  });

  it("produces the same rows table by table as all at once (what the loader relies on)", () => {
    const small = { ...base, profiles: 120, events: 2_000 };
    const all = [...generateDemoData(small)];
    for (const table of ["profiles", "profile_identities", "events"] as const) {
      const alone = [...generateDemoData(small, [table])];
      expect(alone.map((r) => JSON.stringify(r))).toEqual(all.filter((r) => r.table === table).map((r) => JSON.stringify(r)));
    }
  });

  it("makes exactly the requested number of profiles and events, and the announced identities", () => {
    expect(sample.size).toBe(base.profiles);
    expect(people.reduce((n, p) => n + p.events.length, 0)).toBe(base.events);
    const totals = demoTotals(base);
    expect(totals).toEqual({ profiles: base.profiles, events: base.events, identities: people.reduce((n, p) => n + p.identities.length, 0) });
    expect(people.every((p) => p.events.length >= 3)).toBe(true);
  });

  it("keeps every profile's first/last seen equal to its first/last event, events in time order within the window", () => {
    for (const p of people) {
      const times = p.events.map((e) => e.row.timestamp.getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(p.profile.firstSeenAt.getTime()).toBe(Math.min(...times));
      expect(p.profile.lastSeenAt.getTime()).toBe(Math.max(...times));
      expect(p.profile.createdAt).toEqual(p.profile.firstSeenAt);
      expect(Math.min(...times)).toBeGreaterThanOrEqual(now.getTime() - 180 * DAY);
      for (const { row } of p.events) {
        expect(row.receivedAt.getTime()).toBeLessThan(now.getTime());
        expect(row.sentAt!.getTime()).toBeGreaterThanOrEqual(row.timestamp.getTime());
        expect(row.receivedAt.getTime()).toBeGreaterThan(row.sentAt!.getTime());
      }
    }
  });

  it("gives unique UUID-like profile ids with their bucket, unique message ids in the order produced", () => {
    const ids = people.map((p) => p.profile.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toBe(true);
    expect(ids).toEqual([...ids].sort());
    expect(people.every((p) => p.profile.bucket === bucketOf(p.profile.id))).toBe(true);
    const messageIds = people.flatMap((p) => p.events.map((e) => e.row.messageId));
    expect(new Set(messageIds).size).toBe(base.events);
    expect(messageIds).toEqual([...messageIds].sort());
  });

  it("resolves every id an event carried to the event's profile, like identity resolution would", () => {
    const resolve = new Map<string, string>();
    for (const p of people) {
      for (const identity of p.identities) {
        const key = `${identity.kind}:${identity.value}`;
        expect(resolve.has(key)).toBe(false);
        resolve.set(key, identity.profileId);
      }
      const userIds = p.identities.filter((i) => i.kind === "user_id").map((i) => i.value);
      expect(userIds).toEqual(p.profile.userId ? [p.profile.userId] : []);
    }
    for (const p of people) {
      for (const e of p.events) {
        expect(e.userId ?? e.anonymousId).toBeTruthy();
        if (e.userId) expect(resolve.get(`user_id:${e.userId}`)).toBe(p.profile.id);
        if (e.anonymousId) expect(resolve.get(`anonymous_id:${e.anonymousId}`)).toBe(p.profile.id);
      }
    }
  });

  it("has ~15 % anonymous-then-identified and ~5 % anonymous-only profiles, shaped like merged profiles", () => {
    const share = (identity: IdentityClass) => people.filter((p) => p.identity === identity).length / people.length;
    expect(share("anonymous_then_identified")).toBeGreaterThan(0.12);
    expect(share("anonymous_then_identified")).toBeLessThan(0.18);
    expect(share("anonymous")).toBeGreaterThan(0.03);
    expect(share("anonymous")).toBeLessThan(0.07);

    for (const p of people) {
      const kinds = p.identities.map((i) => i.kind).sort();
      const identifies = p.events.filter((e) => e.row.type === "identify");
      if (p.identity === "anonymous") {
        expect(p.profile.userId).toBeNull();
        expect(kinds).toEqual(["anonymous_id"]);
        expect(identifies).toHaveLength(0);
        expect(p.events.every((e) => e.userId === null && e.anonymousId)).toBe(true);
        expect(p.profile.traits).toEqual({});
      } else if (p.identity === "anonymous_then_identified") {
        expect(kinds).toEqual(["anonymous_id", "user_id"]);
        expect(p.events[0]!.userId).toBeNull();
        expect(identifies).toHaveLength(1);
        const at = p.events.indexOf(identifies[0]!);
        expect(at).toBeGreaterThan(0);
        expect(p.events.slice(0, at).every((e) => e.userId === null)).toBe(true);
        expect(p.events.slice(at).every((e) => e.userId === p.profile.userId && e.anonymousId)).toBe(true);
        const userIdentity = p.identities.find((i) => i.kind === "user_id")!;
        expect(userIdentity.createdAt).toEqual(identifies[0]!.row.timestamp);
      } else {
        expect(kinds).toEqual(["user_id"]);
        expect(p.events[0]!.row.type).toBe("identify");
        expect(p.events.every((e) => e.userId === p.profile.userId && e.anonymousId === null)).toBe(true);
      }
      if (identifies[0]) expect(identifies[0].row.properties).toEqual(p.profile.traits);
    }
  });

  it("gives identified people consistent traits: city in their country, reserved email domains", () => {
    const countryOfCity = new Map<string, string>();
    for (const p of people.filter((p) => p.identity !== "anonymous")) {
      const t = p.profile.traits as Record<string, unknown>;
      expect(Object.keys(t).sort()).toEqual(
        ["age", "city", "country", "device", "email", "first_name", "goal", "last_name", "os", "plan", "signup_source"],
      );
      expect(p.profile.country).toBe(t.country);
      expect(p.profile.email).toBe(t.email);
      expect(p.profile.email).toMatch(/^[a-z]+\.[a-z]+\.[0-9a-z]+@example\.(com|org|net)$/);
      expect(["free", "plus", "pro"]).toContain(t.plan);
      expect(["iphone", "android", "web"]).toContain(t.device);
      expect(["lose_weight", "run_faster", "sleep_better"]).toContain(t.goal);
      expect(t.age).toBeGreaterThanOrEqual(18);
      expect(t.age).toBeLessThan(71);
      const known = countryOfCity.get(t.city as string);
      expect(known ?? t.country).toBe(t.country);
      countryOfCity.set(t.city as string, t.country as string);
      expect(p.profile.timezone).toMatch(/^(Europe|America)\//);
    }
    expect(new Set(countryOfCity.values()).size).toBeGreaterThanOrEqual(10);
  });

  it("uses only the documented event names and properties", () => {
    const names = new Set(people.flatMap((p) => p.events.map((e) => e.row.name)));
    expect([...names].sort()).toEqual([null, ...DEMO_EVENT_NAMES].sort());
    for (const p of people) {
      for (const { row } of p.events) {
        if (row.name === "purchase") {
          expect(row.properties).toMatchObject({ amount: expect.any(Number), product: expect.any(String), category: expect.any(String) });
          expect(["watches", "accessories", "subscriptions"]).toContain(row.properties.category);
        }
        if (row.name === "feature_used") expect(["tariff_calculator", "workout_plan", "sleep_tracking", "heart_rate_zones"]).toContain(row.properties.feature);
        if (row.name === "onboarding_step") expect([1, 2, 3, 4, 5]).toContain(row.properties.step);
      }
    }
  });

  it("gives personas different, recognisable behaviour", () => {
    for (const persona of PERSONAS) expect(byPersona(persona).length).toBeGreaterThan(50);
    const perPerson = (persona: Persona, name: string) => {
      const group = byPersona(persona).filter((p) => p.identity !== "anonymous");
      return group.reduce((n, p) => n + named(p, name).length, 0) / group.length;
    };

    // Lapsed: nothing in the last 30 days.
    for (const p of byPersona("lapsed")) expect(p.profile.lastSeenAt.getTime()).toBeLessThan(now.getTime() - 30 * DAY);
    // Onboarding drop-offs: step 1 (maybe 2) is the last thing they did, and long ago.
    for (const p of byPersona("onboarding_dropoff")) {
      const steps = named(p, "onboarding_step").map((e) => e.row.properties.step);
      expect(steps.every((s) => s === 1 || s === 2)).toBe(true);
      const last = p.events.at(-1)!.row.name;
      // Three events in all (a visit, the identify call, signed_up) leave no room for the app.
      expect(["onboarding_step", "app_open", ...(p.events.length === 3 ? ["signed_up"] : [])]).toContain(last);
      expect(p.profile.lastSeenAt.getTime()).toBeLessThan(now.getTime() - 7 * DAY);
    }
    // Loyal regulars open the app and buy much more than anyone; window shoppers look and rarely buy.
    expect(perPerson("loyal_regular", "app_open")).toBeGreaterThan(3 * perPerson("window_shopper", "app_open"));
    expect(perPerson("loyal_regular", "purchase")).toBeGreaterThan(2 * perPerson("casual", "purchase"));
    const windowShoppers = byPersona("window_shopper");
    const carts = windowShoppers.reduce((n, p) => n + named(p, "add_to_cart").length, 0);
    const bought = windowShoppers.reduce((n, p) => n + named(p, "purchase").length, 0);
    expect(bought).toBeLessThan(carts * 0.1);
    // Bargain hunters buy on discount.
    const bargains = byPersona("bargain_hunter").flatMap((p) => named(p, "purchase"));
    expect(bargains.filter((e) => (e.row.properties.discount as number) > 0).length).toBeGreaterThan(bargains.length * 0.8);
    // Recency differs: most loyal regulars were seen in the last week, hardly any lapsed profile.
    const recent = (persona: Persona) =>
      byPersona(persona).filter((p) => p.profile.lastSeenAt.getTime() > now.getTime() - 7 * DAY).length / byPersona(persona).length;
    expect(recent("loyal_regular")).toBeGreaterThan(0.9);
    expect(recent("lapsed")).toBe(0);
  });

  it("speaks the journey templates' events: sign-ups, onboarding, the tariff calculator, checkouts with a cart id", () => {
    const identified = people.filter((p) => p.identity !== "anonymous");
    // Every sign-up is an identify call followed by signed_up.
    for (const p of people) {
      const signUps = named(p, "signed_up");
      expect(signUps).toHaveLength(p.identity === "anonymous" || p.events.length < 2 ? 0 : 1);
      if (signUps[0]) {
        const at = p.events.indexOf(signUps[0]);
        expect(p.events[at - 1]!.row.type).toBe("identify");
        expect(signUps[0].row.properties).toEqual({ signup_source: p.profile.traits.signup_source });
      }
    }
    // Onboarding: completed after all five steps (some people), never by the drop-offs.
    const completed = identified.filter((p) => named(p, "onboarding_completed").length > 0);
    expect(completed.length).toBeGreaterThan(identified.length * 0.1);
    expect(completed.length).toBeLessThan(identified.length * 0.6);
    for (const p of completed) {
      const at = p.events.indexOf(named(p, "onboarding_completed")[0]!);
      expect(p.events[at - 1]!.row).toMatchObject({ name: "onboarding_step", properties: { step: 5 } });
    }
    expect(byPersona("onboarding_dropoff").every((p) => named(p, "onboarding_completed").length === 0)).toBe(true);

    // The calculator: every opening is also a feature_used; a result follows an opening.
    for (const p of people) {
      for (const [i, e] of p.events.entries()) {
        if (e.row.name === "tariff_calculator_opened") expect(p.events[i - 1]!.row).toMatchObject({ name: "feature_used", properties: { feature: "tariff_calculator" } });
        if (e.row.name === "tariff_result_viewed") expect(p.events[i - 1]!.row.name).toBe("tariff_calculator_opened");
      }
    }
    // Stuck in it: three or more openings within a day, no result ever (the feature nudge's people).
    const threeInADay = (p: Person) => {
      const times = named(p, "tariff_calculator_opened").map((e) => e.row.timestamp.getTime());
      return times.some((t, i) => i >= 2 && t - times[i - 2]! <= DAY);
    };
    const stuck = byPersona("calculator_stuck");
    expect(stuck.filter((p) => threeInADay(p) && named(p, "tariff_result_viewed").length === 0).length).toBeGreaterThan(stuck.length * 0.6);
    expect(people.filter((p) => p.persona !== "calculator_stuck" && named(p, "tariff_result_viewed").length > 0).length).toBeGreaterThan(people.length * 0.05);

    // Checkouts carry a cart id; most end in order_completed with the same cart within 4 hours, some are abandoned.
    let checkouts = 0;
    let ordered = 0;
    for (const p of people) {
      for (const [i, e] of p.events.entries()) {
        if (e.row.name === "order_completed") {
          const purchase = p.events[i - 1]!.row;
          expect(purchase.name).toBe("purchase");
          expect(e.row.properties).toMatchObject({ cartId: expect.stringMatching(/^cart_[0-9a-f]{8}$/), order_id: purchase.properties.order_id, amount: purchase.properties.amount, category: purchase.properties.category });
        }
        if (e.row.name !== "checkout_started") continue;
        checkouts++;
        const cartId = e.row.properties.cartId;
        expect(cartId).toMatch(/^cart_[0-9a-f]{8}$/);
        const t = e.row.timestamp.getTime();
        if (p.events.some((x) => x.row.name === "order_completed" && x.row.properties.cartId === cartId && x.row.timestamp.getTime() - t <= 4 * 3_600_000)) ordered++;
      }
    }
    expect(ordered).toBeGreaterThan(checkouts * 0.5);
    expect(ordered).toBeLessThan(checkouts * 0.9);
  });

  it("refuses impossible options with a clear message", () => {
    const run = (options: Partial<DemoOptions>) => () => generateDemoData({ ...base, ...options }).next();
    expect(run({ events: 5_999 })).toThrow(/events must be an integer of at least 3 per profile \(6000 for 2000 profiles\)/);
    expect(run({ profiles: 0 })).toThrow(/profiles must be an integer/);
    expect(run({ seed: -1 })).toThrow(/seed must be a non-negative integer/);
    expect(run({ seed: 1.5 })).toThrow(/seed/);
    expect(run({ now: new Date("nope") })).toThrow(/now must be a valid date/);
    expect(run({ workspaceId: "" })).toThrow(/workspaceId is required/);
    expect(() => demoTotals({ ...base, events: 1 })).toThrow(RangeError);
  });

  it("copes with the smallest history: one profile with three events", () => {
    for (let seed = 0; seed < 50; seed++) {
      const rows = [...generateDemoData({ ...base, profiles: 1, events: 3, seed })];
      expect(rows.filter((r) => r.table === "events")).toHaveLength(3);
      expect(rows.filter((r) => r.table === "profiles")).toHaveLength(1);
    }
  });
});
