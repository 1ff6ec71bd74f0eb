import { bucketOf } from "@/lib/profiles/bucket";

/**
 * Deterministic demo data: the customers of a shop that sells fitness watches and the app
 * that goes with them. Same options → byte-identical rows, on every machine (only integer
 * and basic IEEE arithmetic, no Math.random, no clock, no transcendental functions).
 *
 * Rows are produced one profile at a time by a generator, so 20 million events never sit in
 * memory. Every profile draws from its own random streams (seeded by seed, workspace and
 * profile index), which is what lets a loader ask for one table at a time and still get
 * rows that agree with each other.
 *
 * Behaviour follows personas (bargain hunter, loyal regular, lapsed, onboarding drop-off,
 * window shopper, casual, a buyer going quiet, someone stuck in the tariff calculator), so
 * segments built on the data — the starter segments and every example in the docs — find
 * real structure (server/demo/stories.test.ts holds them to it).
 *
 * The shop also speaks the journey templates' events (lib/journeys/templates.ts): a sign-up
 * is `signed_up` after the identify call; the full onboarding ends in `onboarding_completed`;
 * the app reports `tariff_calculator_opened` next to its generic `feature_used` (and
 * `tariff_result_viewed` when the calculator shows a result); a checkout carries its
 * `cartId`, and an order is reported twice — `purchase` (the shop's own name, which the
 * starter segments and docs use) and `order_completed` with the same cart id (the Segment
 * e-commerce spec's). Whoever is stuck in the calculator opens it three to five times in
 * one day.
 *
 * Rows share objects (a profile's traits are also its identify event's properties; common
 * contexts and empty properties are frozen singletons): treat them as read-only.
 */

export interface DemoOptions {
  workspaceId: string;
  /** Number of profiles (≥ 1). */
  profiles: number;
  /** Number of events in total (≥ MIN_EVENTS_PER_PROFILE × profiles); spread by persona. */
  events: number;
  /** Any non-negative integer; the same seed gives the same data. */
  seed: number;
  /** Everything happens in the `days` before this instant. */
  now: Date;
  /** Length of the history, default 180 days. */
  days?: number;
}

export const MIN_EVENTS_PER_PROFILE = 3;
/** The demo workspace of `npm start` (prisma/seed.ts): this many people and events, this seed. */
export const DEMO_PROFILES = 5_000;
export const DEMO_EVENTS = 60_000;
export const DEMO_SEED = 2026;
export const MAX_DEMO_PROFILES = 100_000_000;

export const PERSONAS = [
  "bargain_hunter",
  "loyal_regular",
  "lapsed",
  "onboarding_dropoff",
  "window_shopper",
  "casual",
  "cooling_buyer",
  "calculator_stuck",
] as const;
export type Persona = (typeof PERSONAS)[number];

/** known: identified from the first event; anonymous_then_identified: browsed anonymously, then signed up; anonymous: never identified. */
export type IdentityClass = "known" | "anonymous_then_identified" | "anonymous";

export const DEMO_EVENT_NAMES = [
  "page_view",
  "product_viewed",
  "add_to_cart",
  "checkout_started",
  "purchase",
  "app_open",
  "feature_used",
  "tariff_result_viewed",
  "onboarding_step",
  "email_opened",
  "email_clicked",
  "push_opened",
  "tariff_calculator_opened",
  "order_completed",
  "signed_up",
  "onboarding_completed",
] as const;

/** Columns of `profiles`. */
export interface DemoProfile {
  id: string;
  workspaceId: string;
  userId: string | null;
  traits: Record<string, unknown>;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  locale: string | null;
  country: string | null;
  bucket: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** Columns of `profile_identities`. */
export interface DemoIdentity {
  workspaceId: string;
  kind: "user_id" | "anonymous_id";
  value: string;
  profileId: string;
  createdAt: Date;
}

/** Columns of `events` (the id is the table's sequence). */
export interface DemoEvent {
  workspaceId: string;
  profileId: string;
  messageId: string;
  type: "track" | "identify";
  name: string | null;
  properties: Record<string, unknown>;
  context: Record<string, unknown>;
  timestamp: Date;
  receivedAt: Date;
  sentAt: Date | null;
}

export type DemoTable = "profiles" | "profile_identities" | "events";
export const DEMO_TABLES: readonly DemoTable[] = ["profiles", "profile_identities", "events"];

export type DemoRow =
  | { table: "profiles"; row: DemoProfile; persona: Persona; identity: IdentityClass }
  | { table: "profile_identities"; row: DemoIdentity }
  /** userId / anonymousId: the ids the message carried (the events table keeps only the profile). */
  | { table: "events"; row: DemoEvent; userId: string | null; anonymousId: string | null };

export interface DemoTotals {
  profiles: number;
  identities: number;
  events: number;
}

// --- random numbers -------------------------------------------------------------------

/** murmur3's 32-bit finaliser: a bijection on 32-bit integers with good avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** sfc32 (Chris Doty-Humphrey's small fast counting generator), 32-bit state words. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a | 0;
    this.b = b | 0;
    this.c = c | 0;
    this.d = d | 0;
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** [0, 1) */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Index into a cumulative weight table (see `cumulative`). */
  weighted(table: Float64Array): number {
    const x = this.next() * table[table.length - 1]!;
    let i = 0;
    while (table[i]! <= x) i++;
    return i;
  }
}

function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => (out[i] = sum += w));
  return out;
}

const STREAM_HEADER = 1;
const STREAM_TIME = 2;
const STREAM_PROPS = 3;

interface Keys {
  k: [number, number, number, number, number, number];
  tag: string;
}

function keysOf(seed: number, workspaceId: string): Keys {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  const k0 = fmix32(lo ^ fmix32(hi ^ fnv1a(workspaceId)));
  const k: Keys["k"] = [k0, 0, 0, 0, 0, 0];
  for (let i = 1; i < k.length; i++) k[i] = fmix32(k[i - 1]! ^ (0x9e3779b9 * i));
  return { k, tag: hex8(k0) };
}

function rngFor(keys: Keys, index: number, stream: number): Rng {
  const a = fmix32(keys.k[0] ^ index);
  const b = fmix32(keys.k[1] ^ Math.imul(index, 0x9e3779b1) ^ stream);
  const c = fmix32(a ^ b ^ keys.k[2] ^ Math.imul(stream, 0x7f4a7c15));
  return new Rng(a, b, c, (stream << 28) ^ index);
}

/** A keyed bijection on [0, 2^32): different indexes never share an id prefix. */
function perm32(index: number, key: number): number {
  return fmix32((index ^ key) >>> 0);
}

const HEX = "0123456789abcdef";
function hex8(n: number): string {
  let s = "";
  for (let shift = 28; shift >= 0; shift -= 4) s += HEX[(n >>> shift) & 15];
  return s;
}

// --- the world ------------------------------------------------------------------------

const DAY = 86_400_000;
const HOUR = 3_600_000;

interface Place {
  country: string;
  city: string;
  timezone: string;
  locale: string;
}

const COUNTRIES: { weight: number; places: Place[] }[] = [
  ["DE", 34, "de-DE", "Europe/Berlin", ["Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Stuttgart", "Leipzig", "Düsseldorf"]],
  ["AT", 8, "de-AT", "Europe/Vienna", ["Wien", "Graz", "Linz", "Salzburg", "Innsbruck"]],
  ["CH", 8, "de-CH", "Europe/Zurich", ["Zürich", "Basel", "Bern", "Luzern", "Genève|fr-CH"]],
  ["FR", 8, "fr-FR", "Europe/Paris", ["Paris", "Lyon", "Marseille", "Toulouse", "Bordeaux"]],
  ["NL", 7, "nl-NL", "Europe/Amsterdam", ["Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven"]],
  ["GB", 8, "en-GB", "Europe/London", ["London", "Manchester", "Bristol", "Edinburgh", "Leeds"]],
  ["US", 10, "en-US", "America/New_York", ["New York", "Boston", "Chicago|en-US|America/Chicago", "Austin|en-US|America/Chicago", "San Francisco|en-US|America/Los_Angeles", "Seattle|en-US|America/Los_Angeles", "Denver|en-US|America/Denver"]],
  ["IT", 4, "it-IT", "Europe/Rome", ["Milano", "Roma", "Torino", "Bologna"]],
  ["ES", 4, "es-ES", "Europe/Madrid", ["Madrid", "Barcelona", "Valencia", "Sevilla"]],
  ["PL", 3, "pl-PL", "Europe/Warsaw", ["Warszawa", "Kraków", "Wrocław"]],
  ["BE", 2, "nl-BE", "Europe/Brussels", ["Antwerpen", "Gent", "Bruxelles|fr-BE"]],
  ["SE", 2, "sv-SE", "Europe/Stockholm", ["Stockholm", "Göteborg", "Malmö"]],
  ["DK", 2, "da-DK", "Europe/Copenhagen", ["København", "Aarhus"]],
].map(([country, weight, locale, timezone, cities]) => ({
  weight: weight as number,
  places: (cities as string[]).map((entry) => {
    const [city, cityLocale, cityZone] = entry.split("|");
    return { country: country as string, city: city!, locale: cityLocale ?? (locale as string), timezone: cityZone ?? (timezone as string) };
  }),
}));
const COUNTRY_TABLE = cumulative(COUNTRIES.map((c) => c.weight));

const FIRST_NAMES = [
  "Lena", "Jonas", "Mia", "Lukas", "Hannah", "Felix", "Emma", "Paul", "Sofia", "Leon", "Anna", "Noah", "Laura", "Elias",
  "Julia", "Max", "Clara", "Ben", "Marie", "Finn", "Sarah", "Tom", "Lea", "David", "Nina", "Jan", "Chloe", "Hugo", "Eva",
  "Lucas", "Olivia", "Liam", "Emily", "James", "Sophie", "Luca", "Giulia", "Pablo", "Zofia", "Erik", "Ines", "Milan",
];
const LAST_NAMES = [
  "Schmidt", "Mueller", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch", "Bauer", "Richter", "Klein",
  "Wolf", "Neumann", "Huber", "Gruber", "Keller", "Meier", "Martin", "Bernard", "Dubois", "de Jong", "Jansen", "Smith",
  "Jones", "Brown", "Taylor", "Johnson", "Miller", "Rossi", "Garcia", "Nowak", "Andersson", "Peeters", "Nielsen", "O'Brien",
];
const EMAIL_DOMAINS = ["example.com", "example.org", "example.net"];

const DEVICES = ["iphone", "android", "web"] as const;
const DEVICE_TABLE = cumulative([46, 38, 16]);
const OS_BY_DEVICE: Record<(typeof DEVICES)[number], string[]> = {
  iphone: ["iOS 17", "iOS 18", "iOS 18", "iOS 26"],
  android: ["Android 13", "Android 14", "Android 15", "Android 15"],
  web: ["macOS", "Windows", "Windows", "Linux", "ChromeOS"],
};
const SIGNUP_SOURCES = ["organic", "google_ads", "instagram", "tiktok", "newsletter", "referral", "retail_store", "podcast"];
const SIGNUP_TABLE = cumulative([30, 18, 15, 8, 8, 10, 8, 3]);
const GOALS = ["lose_weight", "run_faster", "sleep_better"] as const;
const GOAL_TABLE = cumulative([40, 35, 25]);
const PLANS = ["free", "plus", "pro"] as const;
const PLAN_PRICES = { free: 0, plus: 4.99, pro: 9.99 };

const FEATURES = ["tariff_calculator", "workout_plan", "sleep_tracking", "heart_rate_zones"] as const;
/** Which features people use follows their goal (indexed like GOALS). */
const FEATURE_TABLES = [cumulative([25, 45, 15, 15]), cumulative([15, 35, 10, 40]), cumulative([15, 10, 65, 10])];

interface Product {
  product: string;
  category: "watches" | "accessories" | "subscriptions";
  price: number;
}
const PRODUCTS: Product[] = [
  { product: "Pulse 3", category: "watches", price: 199 },
  { product: "Pulse 3 Pro", category: "watches", price: 299 },
  { product: "Stride S", category: "watches", price: 149 },
  { product: "Stride Ultra", category: "watches", price: 449 },
  { product: "Sport Band", category: "accessories", price: 29 },
  { product: "Leather Band", category: "accessories", price: 49 },
  { product: "Fast Charger", category: "accessories", price: 24 },
  { product: "Screen Guard 2-pack", category: "accessories", price: 12 },
  { product: "HR Chest Strap", category: "accessories", price: 69 },
  { product: "Acme Plus (1 year)", category: "subscriptions", price: 49 },
  { product: "Acme Pro (1 year)", category: "subscriptions", price: 99 },
];
/** Before the first purchase people look at watches; afterwards at what goes with one. */
const FIRST_PRODUCT_TABLE = cumulative([30, 18, 25, 12, 3, 2, 1, 1, 2, 3, 3]);
const REPEAT_PRODUCT_TABLE = cumulative([2, 2, 2, 3, 22, 14, 12, 10, 10, 13, 10]);
const DISCOUNTS = [10, 15, 20, 25, 30, 40];

const PAGES = ["/", "/watches", "/watches/pulse-3", "/watches/stride-ultra", "/accessories", "/pricing", "/sale", "/blog/zone-2-training", "/blog/sleep-better", "/app"];
const PAGE_TABLE = cumulative([25, 18, 12, 8, 8, 10, 5, 6, 5, 3]);
const SALE_PAGE_TABLE = cumulative([15, 12, 8, 5, 8, 10, 35, 3, 2, 2]);
const EMAIL_CAMPAIGNS = ["weekly_tips", "new_feature_sleep", "plan_upgrade", "winback", "sale"];
const SALE_CAMPAIGNS = new Set(["spring_sale", "summer_sale", "black_week", "winter_sale"]);
const PUSH_CAMPAIGNS = ["workout_reminder", "sleep_report", "streak_at_risk", "weekly_summary", "flash_sale"];

// Shared, never mutated: a loader may cache their serialisation by identity.
const CONTEXT_WEB = Object.freeze({ channel: "web" });
const CONTEXT_APP = Object.freeze({ channel: "app" });
const CONTEXT_EMAIL = Object.freeze({ channel: "email" });
const NO_PROPERTIES = Object.freeze({});

// --- personas -------------------------------------------------------------------------

const E = {
  Identify: 0,
  PageView: 1,
  ProductViewed: 2,
  AddToCart: 3,
  CheckoutStarted: 4,
  Purchase: 5,
  AppOpen: 6,
  FeatureUsed: 7,
  TariffResult: 8,
  OnboardingStep: 9,
  EmailOpened: 10,
  EmailClicked: 11,
  PushOpened: 12,
  TariffOpened: 13,
  OrderCompleted: 14,
  SignedUp: 15,
  OnboardingCompleted: 16,
} as const;
const EVENT_NAME: (string | null)[] = [null, ...DEMO_EVENT_NAMES];
const EVENT_CONTEXT: Record<string, unknown>[] = [
  CONTEXT_WEB, CONTEXT_WEB, CONTEXT_WEB, CONTEXT_WEB, CONTEXT_WEB, CONTEXT_WEB,
  CONTEXT_APP, CONTEXT_APP, CONTEXT_APP, CONTEXT_APP,
  CONTEXT_EMAIL, CONTEXT_EMAIL, CONTEXT_APP,
  CONTEXT_APP, CONTEXT_WEB, CONTEXT_WEB, CONTEXT_APP,
];

const S = { Browse: 0, Shop: 1, App: 2, Email: 3, Push: 4 } as const;

interface PersonaSpec {
  /** Share among identified profiles / among never-identified visitors. */
  share: number;
  anonymousShare: number;
  /** Relative number of events. */
  weight: number;
  /** Least activity factor (the heavy tail's lower end, default 0.2): a story that needs a few events gets them. */
  minActivity?: number;
  /** Session mix: browse, shop, app, email, push. */
  sessions: Float64Array;
  /** Shop session: chance of a sale item, of checking out, of buying (without / with a discount). */
  sale: number;
  checkout: number;
  purchase: number;
  purchaseOnSale: number;
  /** Email session: chance of a click. */
  click: number;
  plans: Float64Array;
  /** Active window in days before now: [start, end], start > end. */
  window: (rng: Rng) => [number, number];
  saleCampaigns: number;
}

const PERSONA_SPECS: Record<Persona, PersonaSpec> = {
  bargain_hunter: {
    share: 18, anonymousShare: 30, weight: 1.6,
    sessions: cumulative([36, 30, 6, 24, 4]),
    sale: 0.55, checkout: 0.45, purchase: 0.04, purchaseOnSale: 0.7, click: 0.55,
    plans: cumulative([60, 35, 5]),
    window: (rng) => {
      const start = rng.range(30, 179);
      return [start, rng.range(0.05, Math.min(25, start - 5))];
    },
    saleCampaigns: 0.8,
  },
  loyal_regular: {
    share: 15, anonymousShare: 0, weight: 3,
    sessions: cumulative([10, 14, 50, 10, 16]),
    sale: 0.12, checkout: 0.75, purchase: 0.55, purchaseOnSale: 0.65, click: 0.3,
    plans: cumulative([15, 40, 45]),
    window: (rng) => [rng.range(120, 179), rng.range(0.05, 3)],
    saleCampaigns: 0.25,
  },
  lapsed: {
    share: 20, anonymousShare: 0, weight: 0.7,
    sessions: cumulative([25, 20, 35, 12, 8]),
    sale: 0.15, checkout: 0.5, purchase: 0.25, purchaseOnSale: 0.35, click: 0.25,
    plans: cumulative([55, 32, 13]),
    // Nothing in the last 35 days at least.
    window: (rng) => {
      const end = rng.range(35, 150);
      return [Math.min(179, end + rng.range(10, 90)), end];
    },
    saleCampaigns: 0.4,
  },
  onboarding_dropoff: {
    share: 12, anonymousShare: 0, weight: 0.15,
    sessions: cumulative([60, 40, 0, 0, 0]),
    sale: 0.2, checkout: 0.6, purchase: 0.3, purchaseOnSale: 0.4, click: 0.2,
    plans: cumulative([90, 10, 0]),
    // A short burst (buy, open the app, give up) at least ten days ago.
    window: (rng) => {
      const start = rng.range(20, 179);
      return [start, start - rng.range(0.2, 10)];
    },
    saleCampaigns: 0.3,
  },
  window_shopper: {
    share: 15, anonymousShare: 50, weight: 1.2,
    sessions: cumulative([42, 44, 4, 8, 2]),
    sale: 0.15, checkout: 0.2, purchase: 0.03, purchaseOnSale: 0.08, click: 0.35,
    plans: cumulative([80, 18, 2]),
    window: (rng) => {
      const start = rng.range(10, 179);
      return [start, rng.range(0.05, Math.min(30, start - 2))];
    },
    saleCampaigns: 0.4,
  },
  casual: {
    share: 20, anonymousShare: 20, weight: 1,
    sessions: cumulative([28, 20, 27, 15, 10]),
    sale: 0.15, checkout: 0.45, purchase: 0.3, purchaseOnSale: 0.4, click: 0.3,
    plans: cumulative([50, 35, 15]),
    window: (rng) => {
      const start = rng.range(5, 179);
      return [start, rng.range(0.05, Math.min(45, start - 1))];
    },
    saleCampaigns: 0.4,
  },
  // Bought three to five times in the last month, then went quiet for a week or more: the
  // README's "bought 3× in 30 days but inactive for 7 days".
  cooling_buyer: {
    share: 7, anonymousShare: 0, weight: 1.8,
    sessions: cumulative([30, 20, 20, 25, 5]),
    sale: 0.12, checkout: 0.6, purchase: 0.3, purchaseOnSale: 0.4, click: 0.3,
    plans: cumulative([30, 40, 30]),
    window: (rng) => [rng.range(22, 29), rng.range(7.5, 14)],
    saleCampaigns: 0.3,
  },
  // Opens the tariff calculator again and again in a day of the last month and never gets a
  // result. Active enough for that (each try is feature_used and tariff_calculator_opened).
  calculator_stuck: {
    share: 5, anonymousShare: 0, weight: 1, minActivity: 1,
    sessions: cumulative([60, 0, 0, 40, 0]),
    sale: 0.1, checkout: 0.3, purchase: 0.1, purchaseOnSale: 0.2, click: 0.2,
    plans: cumulative([85, 15, 0]),
    window: (rng) => {
      const start = rng.range(8, 28);
      return [start, rng.range(0.2, start - 3)];
    },
    saleCampaigns: 0.2,
  },
};
const PERSONA_TABLE = cumulative(PERSONAS.map((p) => PERSONA_SPECS[p].share));
const ANONYMOUS_PERSONA_TABLE = cumulative(PERSONAS.map((p) => PERSONA_SPECS[p].anonymousShare));
const ANONYMOUS_WEIGHT = 0.4;

const ANONYMOUS_SHARE = 0.05;
const ANONYMOUS_THEN_IDENTIFIED_SHARE = 0.15;

// --- one profile ----------------------------------------------------------------------

interface Header {
  rng: Rng;
  identity: IdentityClass;
  persona: Persona;
  weight: number;
}

function header(keys: Keys, index: number): Header {
  const rng = rngFor(keys, index, STREAM_HEADER);
  const u = rng.next();
  const identity: IdentityClass =
    u < ANONYMOUS_SHARE ? "anonymous" : u < ANONYMOUS_SHARE + ANONYMOUS_THEN_IDENTIFIED_SHARE ? "anonymous_then_identified" : "known";
  const persona = PERSONAS[rng.weighted(identity === "anonymous" ? ANONYMOUS_PERSONA_TABLE : PERSONA_TABLE)]!;
  const f = rng.next();
  // Heavy-tailed activity: most people do a little, a few do a lot (mean factor 1).
  const spec = PERSONA_SPECS[persona];
  const weight = spec.weight * (identity === "anonymous" ? ANONYMOUS_WEIGHT : 1) * Math.max(spec.minActivity ?? 0, 0.2 + 3.2 * f * f * f);
  return { rng, identity, persona, weight };
}

interface Person {
  index: number;
  identity: IdentityClass;
  persona: Persona;
  profileId: string;
  userId: string | null;
  anonymousId: string | null;
  traits: Record<string, unknown>;
  place: Place | null;
  email: string | null;
  goal: number;
}

/** xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx (version 4, RFC 4122 variant). */
function uuidLike(prefix: number, rng: Rng): string {
  const a = hex8(rng.u32());
  const b = hex8(rng.u32());
  const c = hex8(rng.u32());
  return `${hex8(prefix)}-${a.slice(0, 4)}-4${a.slice(5, 8)}-${HEX[8 + (rng.u32() & 3)]}${b.slice(1, 4)}-${b.slice(4)}${c}`;
}

function person(keys: Keys, index: number, profiles: number, h: Header): Person {
  const { rng, identity, persona } = h;
  // UUID-shaped. The first 8 digits grow with the index (a random point in the index's own
  // slice of the 32-bit range), so ids never collide within a run and rows come out in id
  // order, which keeps index maintenance cheap for a bulk load.
  const slice = 4294967296 / profiles;
  const profileId = uuidLike(Math.floor(index * slice + rng.next() * slice), rng);
  const userId = identity === "anonymous" ? null : `usr_${hex8(perm32(index, keys.k[4]))}${hex8(rng.u32())}`;
  const anonymousId = identity === "known" ? null : uuidLike(perm32(index, keys.k[5]), rng);

  const goal = rng.weighted(GOAL_TABLE);
  if (identity === "anonymous") {
    return { index, identity, persona, profileId, userId, anonymousId, traits: {}, place: null, email: null, goal };
  }
  const spec = PERSONA_SPECS[persona];
  const places = COUNTRIES[rng.weighted(COUNTRY_TABLE)]!.places;
  const place = rng.pick(places);
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z]/g, "");
  const email = `${slug(first)}.${slug(last)}.${perm32(index, keys.k[2]).toString(36)}@${rng.pick(EMAIL_DOMAINS)}`;
  const device = DEVICES[rng.weighted(DEVICE_TABLE)]!;
  const age = 18 + Math.floor(((rng.next() + rng.next() + rng.next()) / 3) * 52);
  const traits: Record<string, unknown> = {
    email,
    first_name: first,
    last_name: last,
    plan: PLANS[rng.weighted(spec.plans)],
    country: place.country,
    city: place.city,
    age,
    device,
    os: rng.pick(OS_BY_DEVICE[device]),
    signup_source: SIGNUP_SOURCES[rng.weighted(SIGNUP_TABLE)],
    goal: GOALS[goal],
  };
  return { index, identity, persona, profileId, userId, anonymousId, traits, place, email, goal };
}

/** The shape of one profile's history: what happened when, not yet the properties. */
interface Timeline {
  kinds: number[];
  /** Per event: feature index, onboarding step or discount, depending on the kind. */
  details: number[];
  times: number[];
  /** Indexes of the events that begin a session, ascending. */
  sessionStarts: number[];
  /** Per session: true when it follows the one before within hours (the same day), not at a random instant. */
  sessionSoon: boolean[];
  /** Index of the identify event, or -1. */
  identifyAt: number;
}

const FUNNEL = [E.ProductViewed, E.AddToCart, E.CheckoutStarted, E.Purchase, E.OrderCompleted];

/** Appends sessions of events (kinds only) until `limit` events; the last session may be cut short. */
class TimelineBuilder {
  kinds: number[] = [];
  details: number[] = [];
  sessionStarts: number[] = [];
  sessionSoon: boolean[] = [];
  identifyAt = -1;
  private onboarded = false;
  /** The identify call opens the session that follows it (sign-up, then straight on). */
  private joinNext = false;

  constructor(
    private readonly rng: Rng,
    private readonly spec: PersonaSpec,
    private readonly goal: number,
    private readonly limit: number,
  ) {}

  get full() {
    return this.kinds.length >= this.limit;
  }

  private push(kind: number, detail = 0) {
    if (this.kinds.length < this.limit) {
      this.kinds.push(kind);
      this.details.push(detail);
    }
  }

  /** `soon`: the session follows the previous one within hours. */
  private startSession(soon = false) {
    if (this.joinNext) this.joinNext = false;
    else if (!this.full) {
      this.sessionStarts.push(this.kinds.length);
      this.sessionSoon.push(soon);
    }
  }

  /** Appends another builder's events and sessions. */
  append(other: TimelineBuilder) {
    const offset = this.kinds.length;
    for (const [i, start] of other.sessionStarts.entries()) {
      if (this.joinNext) this.joinNext = false;
      else {
        this.sessionStarts.push(offset + start);
        this.sessionSoon.push(other.sessionSoon[i]!);
      }
    }
    for (let i = 0; i < other.kinds.length && !this.full; i++) this.push(other.kinds[i]!, other.details[i]!);
  }

  identify() {
    if (this.full) return;
    this.startSession();
    this.identifyAt = this.kinds.length;
    this.push(E.Identify);
    this.push(E.SignedUp);
    this.joinNext = true;
  }

  browse() {
    const { rng } = this;
    this.startSession();
    for (let i = rng.int(1, 4); i > 0; i--) this.push(E.PageView);
    for (let i = rng.int(0, 3); i > 0; i--) this.push(E.ProductViewed);
  }

  private discount(): number {
    return this.rng.chance(this.spec.sale) ? this.rng.pick(DISCOUNTS) : 0;
  }

  /** Look at products, maybe add one to the cart, maybe buy it (more likely on sale). */
  shop(mayBuy: boolean) {
    const { rng, spec } = this;
    this.startSession();
    const discount = this.discount();
    if (rng.chance(0.5)) this.push(E.PageView);
    for (let i = rng.int(1, 3); i > 0; i--) this.push(E.ProductViewed, discount);
    if (!rng.chance(discount > 0 ? 0.75 : 0.55)) return;
    this.push(E.AddToCart, discount);
    if (!rng.chance(spec.checkout)) return;
    this.push(E.CheckoutStarted, discount);
    // An order is both events (the history's last event is not half an order).
    if (mayBuy && rng.chance(discount > 0 ? spec.purchaseOnSale : spec.purchase) && this.limit - this.kinds.length >= 2) {
      this.push(E.Purchase, discount);
      this.push(E.OrderCompleted, discount);
    }
  }

  /** The last `length` steps of view → cart → checkout → purchase → order completed; a single step is the purchase. */
  purchaseFunnel(length: number) {
    this.startSession();
    const discount = this.discount();
    for (const kind of length <= 1 ? [E.Purchase] : FUNNEL.slice(FUNNEL.length - length)) this.push(kind, discount);
  }

  /** Opens the app; the first time through the onboarding (all five steps unless told fewer). */
  app(steps = 5) {
    const { rng } = this;
    this.startSession();
    this.push(E.AppOpen);
    if (!this.onboarded) {
      this.onboarded = true;
      for (let step = 1; step <= steps; step++) this.push(E.OnboardingStep, step);
      if (steps < 5) return;
      this.push(E.OnboardingCompleted);
    }
    for (let i = rng.int(0, 3); i > 0; i--) this.feature();
  }

  private feature() {
    const feature = this.rng.weighted(FEATURE_TABLES[this.goal]!);
    this.push(E.FeatureUsed, feature);
    if (feature !== 0) return;
    this.push(E.TariffOpened);
    if (this.rng.chance(0.8)) this.push(E.TariffResult);
  }

  /**
   * Opens the app and tries the tariff calculator, without reaching a result (the app open
   * is skipped when room is short). `soon`: hours after the previous try, the same day.
   */
  calculatorAttempt(withAppOpen: boolean, soon: boolean) {
    this.startSession(soon);
    this.onboarded = true;
    if (withAppOpen) this.push(E.AppOpen);
    this.push(E.FeatureUsed, 0);
    this.push(E.TariffOpened);
  }

  email() {
    const { rng } = this;
    this.startSession();
    this.push(E.EmailOpened);
    if (!rng.chance(this.spec.click)) return;
    this.push(E.EmailClicked);
    this.push(E.PageView);
    if (rng.chance(0.5)) this.push(E.ProductViewed);
  }

  pushNotification() {
    this.startSession();
    this.push(E.PushOpened);
    this.push(E.AppOpen);
    for (let i = this.rng.int(0, 2); i > 0; i--) this.feature();
  }

  session(kind: number) {
    switch (kind) {
      case S.Browse:
        return this.browse();
      case S.Shop:
        return this.shop(true);
      case S.App:
        return this.app();
      case S.Email:
        return this.email();
      default:
        return this.pushNotification();
    }
  }
}

function timeline(rng: Rng, p: Person, count: number, nowMs: number, days: number): Timeline {
  const spec = PERSONA_SPECS[p.persona];
  const b = new TimelineBuilder(rng, spec, p.goal, count);

  if (p.identity === "anonymous") {
    while (!b.full) {
      if (rng.chance(0.5)) b.browse();
      else b.shop(false);
    }
  } else {
    if (p.identity === "anonymous_then_identified") {
      // A few anonymous visits first (at least one event), then the sign-up (identify and
      // signed_up) and, room permitting, something after it.
      const pre = new TimelineBuilder(rng, spec, p.goal, Math.max(1, Math.min(count - 3, rng.int(1, 6))));
      while (!pre.full) {
        if (rng.chance(0.55)) pre.browse();
        else pre.shop(false);
      }
      b.append(pre);
    }
    b.identify();
    if (p.persona === "onboarding_dropoff") {
      // Shops a little, buys a watch, opens the app and gives up in onboarding step 1 or 2.
      const left = count - b.kinds.length;
      const steps = left >= 4 && rng.chance(0.55) ? 2 : 1;
      const room = left - 1 - steps;
      if (room > 0) {
        // The order needs two events (purchase, order_completed): with room for one, only shopping.
        const funnel = room >= 2 ? Math.min(room, FUNNEL.length) : 0;
        const shopping = new TimelineBuilder(rng, spec, p.goal, room - funnel);
        while (!shopping.full) shopping.session(rng.weighted(spec.sessions));
        b.append(shopping);
        if (funnel > 0) b.purchaseFunnel(funnel);
      }
      b.app(steps);
    } else if (p.persona === "cooling_buyer") {
      // Three to five purchases first (as many as fit), then a little browsing, then silence.
      const left = count - b.kinds.length;
      const purchases = Math.min(rng.int(3, 5), Math.max(1, Math.floor(left / 2)));
      const length = Math.max(1, Math.min(FUNNEL.length, Math.floor(left / purchases)));
      for (let i = 0; i < purchases; i++) b.purchaseFunnel(length);
      while (!b.full) b.session(rng.weighted(spec.sessions));
    } else if (p.persona === "calculator_stuck") {
      // Three to five tries of the tariff calculator in one day, never a result; afterwards,
      // only the website and email (an app session could end in a result).
      const left = count - b.kinds.length;
      const attempts = Math.min(rng.int(3, 5), Math.floor(left / 2));
      const withAppOpen = left >= 3 * attempts;
      for (let i = 0; i < attempts; i++) b.calculatorAttempt(withAppOpen, i > 0);
      while (!b.full) b.session(rng.weighted(spec.sessions));
    } else {
      while (!b.full) b.session(rng.weighted(spec.sessions));
    }
  }

  // When: sessions at sorted random instants of the persona's window, events seconds apart.
  // The window is the span of activity: the first session opens it, the last one closes it.
  let [startDays, endDays] = spec.window(rng);
  if (p.identity === "anonymous") {
    startDays = rng.range(0.5, days - 1);
    endDays = Math.max(0.05, startDays - rng.range(0, 20));
  }
  startDays = Math.min(startDays, days - 1);
  endDays = Math.min(endDays, startDays - 0.01);
  const t0 = nowMs - HOUR - Math.floor(startDays * DAY);
  const t1 = nowMs - HOUR - Math.floor(endDays * DAY);
  const { sessionStarts, sessionSoon } = b;
  const sessions = sessionStarts.length;
  const starts = new Float64Array(sessions);
  for (let s = 0; s < sessions; s++) starts[s] = t0 + Math.floor(rng.next() * (t1 - t0));
  starts.sort();
  if (sessions > 1) starts[0] = t0;
  starts[sessions - 1] = t1;

  const n = b.kinds.length;
  const times = new Array<number>(n);
  let t = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (s < sessions && sessionStarts[s] === i) {
      t = sessionSoon[s] && i > 0 ? t + rng.int(10, 240) * 60_000 : Math.max(starts[s]!, t + 60_000);
      s++;
    } else {
      t += 2_000 + rng.int(0, 90_000);
    }
    times[i] = t;
  }
  // Crowded windows can push the last events past the window: move the whole history back.
  const overflow = times[n - 1]! - (nowMs - HOUR);
  if (overflow > 0) for (let i = 0; i < n; i++) times[i]! -= overflow;

  return { kinds: b.kinds, details: b.details, times, sessionStarts, sessionSoon, identifyAt: b.identifyAt };
}

// --- the plan: how many events each profile gets ---------------------------------------

interface Plan {
  workspaceId: string;
  profiles: number;
  events: number;
  nowMs: number;
  days: number;
  keys: Keys;
  totalWeight: number;
  identities: number;
}

function plan(options: DemoOptions): Plan {
  const { workspaceId, profiles, events, seed, now } = options;
  const days = options.days ?? 180;
  if (typeof workspaceId !== "string" || workspaceId.length === 0) throw new RangeError("workspaceId is required");
  if (!Number.isSafeInteger(profiles) || profiles < 1 || profiles > MAX_DEMO_PROFILES) {
    throw new RangeError(`profiles must be an integer between 1 and ${MAX_DEMO_PROFILES}`);
  }
  if (!Number.isSafeInteger(events) || events < MIN_EVENTS_PER_PROFILE * profiles) {
    throw new RangeError(`events must be an integer of at least ${MIN_EVENTS_PER_PROFILE} per profile (${MIN_EVENTS_PER_PROFILE * profiles} for ${profiles} profiles)`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError("seed must be a non-negative integer");
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new RangeError("now must be a valid date");
  if (!Number.isInteger(days) || days < 2 || days > 3650) throw new RangeError("days must be an integer between 2 and 3650");

  const keys = keysOf(seed, workspaceId);
  let totalWeight = 0;
  let identities = 0;
  for (let i = 0; i < profiles; i++) {
    const h = header(keys, i);
    totalWeight += h.weight;
    identities += h.identity === "anonymous_then_identified" ? 2 : 1;
  }
  return { workspaceId, profiles, events, nowMs: now.getTime(), days, keys, totalWeight, identities };
}

/** How many rows `generateDemoData` will produce for each table (cheap: no events are simulated). */
export function demoTotals(options: DemoOptions): DemoTotals {
  const p = plan(options);
  return { profiles: p.profiles, identities: p.identities, events: p.events };
}

// --- properties -----------------------------------------------------------------------

interface PropsState {
  product: Product;
  /** A product was looked at in this session (cart and checkout are about it). */
  viewed: boolean;
  purchased: boolean;
  campaign: string;
  /** The session's cart (made at checkout or order), and its order. */
  cartId: string;
  orderId: string;
}

function saleCampaign(time: number): string {
  const month = new Date(time).getUTCMonth();
  return month >= 2 && month <= 4 ? "spring_sale" : month >= 5 && month <= 7 ? "summer_sale" : month === 10 ? "black_week" : "winter_sale";
}

function properties(rng: Rng, kind: number, detail: number, time: number, p: Person, state: PropsState): Record<string, unknown> {
  const spec = PERSONA_SPECS[p.persona];
  if (!state.viewed && (kind === E.AddToCart || kind === E.CheckoutStarted || kind === E.Purchase)) {
    state.product = PRODUCTS[rng.weighted(state.purchased ? REPEAT_PRODUCT_TABLE : FIRST_PRODUCT_TABLE)]!;
    state.viewed = true;
  }
  switch (kind) {
    case E.PageView: {
      const table = spec.sale > 0.3 || (state.campaign !== "" && SALE_CAMPAIGNS.has(state.campaign)) ? SALE_PAGE_TABLE : PAGE_TABLE;
      return { path: PAGES[rng.weighted(table)] };
    }
    case E.ProductViewed: {
      state.product = PRODUCTS[rng.weighted(state.purchased ? REPEAT_PRODUCT_TABLE : FIRST_PRODUCT_TABLE)]!;
      state.viewed = true;
      const { product, category, price } = state.product;
      return { product, category, price, discount: detail };
    }
    case E.AddToCart: {
      const { product, category, price } = state.product;
      return { product, category, price, discount: detail, quantity: 1 };
    }
    case E.CheckoutStarted:
      return { amount: amountOf(state.product.price, detail), items: 1, cartId: cartOf(rng, state) };
    case E.Purchase: {
      state.purchased = true;
      state.orderId = `ord_${hex8(rng.u32())}${hex8(rng.u32()).slice(0, 4)}`;
      const { product, category, price } = state.product;
      return { amount: amountOf(price, detail), product, category, discount: detail, order_id: state.orderId };
    }
    case E.OrderCompleted: {
      const { product, category, price } = state.product;
      return { cartId: cartOf(rng, state), order_id: state.orderId, amount: amountOf(price, detail), product, category, discount: detail };
    }
    case E.SignedUp:
      return { signup_source: p.traits.signup_source };
    case E.FeatureUsed:
      return { feature: FEATURES[detail] };
    case E.TariffResult: {
      const plan = PLANS[rng.weighted(spec.plans)]!;
      return { recommended_plan: plan, monthly_price: PLAN_PRICES[plan] };
    }
    case E.OnboardingStep:
      return { step: detail };
    case E.EmailOpened: {
      const campaign = rng.chance(spec.saleCampaigns) ? "sale" : rng.pick(EMAIL_CAMPAIGNS);
      state.campaign = campaign === "sale" ? saleCampaign(time) : campaign;
      return { campaign: state.campaign };
    }
    case E.EmailClicked:
      return { campaign: state.campaign, link: SALE_CAMPAIGNS.has(state.campaign) ? "/sale" : "/app" };
    case E.PushOpened:
      return { campaign: rng.pick(PUSH_CAMPAIGNS) };
    default:
      return NO_PROPERTIES;
  }
}

/** The session's cart id, made on first use. */
function cartOf(rng: Rng, state: PropsState): string {
  if (state.cartId === "") state.cartId = `cart_${hex8(rng.u32())}`;
  return state.cartId;
}

function amountOf(price: number, discount: number): number {
  return Math.round(price * (100 - discount)) / 100;
}

// --- the generator --------------------------------------------------------------------

/**
 * Yields, profile by profile: the profile row, its identities, then its events in time
 * order. `tables` limits what is produced (and computed); the rows of each table are the
 * same whichever other tables are asked for.
 */
export function* generateDemoData(options: DemoOptions, tables: readonly DemoTable[] = DEMO_TABLES): Generator<DemoRow> {
  const p = plan(options);
  const wantProfiles = tables.includes("profiles");
  const wantIdentities = tables.includes("profile_identities");
  const wantEvents = tables.includes("events");
  const { workspaceId, keys } = p;
  const spare = p.events - MIN_EVENTS_PER_PROFILE * p.profiles;
  let cumulativeWeight = 0;
  let allocated = 0;
  // Fixed width, so message ids sort in the order they are produced.
  let eventIndex = 0;
  const messagePrefix = `demo-${keys.tag}-`;

  for (let index = 0; index < p.profiles; index++) {
    const h = header(keys, index);
    cumulativeWeight += h.weight;
    const target = index === p.profiles - 1 ? spare : Math.min(spare, Math.floor((spare * cumulativeWeight) / p.totalWeight));
    const count = MIN_EVENTS_PER_PROFILE + target - allocated;
    allocated = target;

    const who = person(keys, index, p.profiles, h);
    const line = timeline(rngFor(keys, index, STREAM_TIME), who, count, p.nowMs, p.days);
    if (line.kinds.length !== count) throw new Error(`demo generator: profile ${index} got ${line.kinds.length} events instead of ${count}`);
    const firstSeenAt = new Date(line.times[0]!);
    const lastSeenAt = new Date(line.times[count - 1]!);
    const identifiedAt = line.identifyAt >= 0 ? new Date(line.times[line.identifyAt]!) : null;

    if (wantProfiles) {
      yield {
        table: "profiles",
        persona: who.persona,
        identity: who.identity,
        row: {
          id: who.profileId,
          workspaceId,
          userId: who.userId,
          traits: who.traits,
          email: who.email,
          phone: null,
          timezone: who.place?.timezone ?? null,
          locale: who.place?.locale ?? null,
          country: who.place?.country ?? null,
          bucket: bucketOf(who.profileId),
          firstSeenAt,
          lastSeenAt,
          createdAt: firstSeenAt,
          updatedAt: lastSeenAt,
        },
      };
    }
    if (wantIdentities) {
      if (who.anonymousId) {
        yield { table: "profile_identities", row: { workspaceId, kind: "anonymous_id", value: who.anonymousId, profileId: who.profileId, createdAt: firstSeenAt } };
      }
      if (who.userId) {
        yield { table: "profile_identities", row: { workspaceId, kind: "user_id", value: who.userId, profileId: who.profileId, createdAt: identifiedAt ?? firstSeenAt } };
      }
    }
    if (wantEvents) {
      const rng = rngFor(keys, index, STREAM_PROPS);
      const state: PropsState = { product: PRODUCTS[0]!, viewed: false, purchased: false, campaign: "", cartId: "", orderId: "" };
      const identifyContext = who.place
        ? { channel: who.traits.device === "web" || who.identity === "anonymous_then_identified" ? "web" : "app", locale: who.place.locale, timezone: who.place.timezone }
        : CONTEXT_WEB;
      let session = 0;
      for (let i = 0; i < count; i++) {
        const kind = line.kinds[i]!;
        const time = line.times[i]!;
        const known = line.identifyAt >= 0 && i >= line.identifyAt;
        const isIdentify = kind === E.Identify;
        // The sign-up is reported where the identify call came from.
        const signUp = isIdentify || kind === E.SignedUp;
        if (line.sessionStarts[session] === i) {
          session++;
          state.campaign = "";
          state.viewed = false;
          state.cartId = "";
        }
        // Web calls arrive within a second; the apps send batches; email events come from the provider's webhooks.
        const channel = EVENT_CONTEXT[kind];
        const latency = channel === CONTEXT_APP ? rng.int(200, 30_000) : channel === CONTEXT_EMAIL ? rng.int(1_000, 60_000) : rng.int(30, 900);
        const sentAt = time + latency;
        yield {
          table: "events",
          userId: known ? who.userId : null,
          anonymousId: known && who.identity === "known" ? null : who.anonymousId,
          row: {
            workspaceId,
            profileId: who.profileId,
            messageId: messagePrefix + eventIndex.toString(36).padStart(7, "0"),
            type: isIdentify ? "identify" : "track",
            name: EVENT_NAME[kind] ?? null,
            properties: isIdentify ? who.traits : properties(rng, kind, line.details[i]!, time, who, state),
            context: signUp ? identifyContext : channel!,
            timestamp: new Date(time),
            receivedAt: new Date(sentAt + rng.int(15, 150)),
            sentAt: new Date(sentAt),
          },
        };
        eventIndex++;
      }
    } else {
      eventIndex += count;
    }
  }
}
