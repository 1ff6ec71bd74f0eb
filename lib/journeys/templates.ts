import type { MessageChannel, TemplateContent } from "@/lib/messages/schema";
import type { PropertyFilter, SegmentDefinition, SegmentNode } from "@/lib/segments/schema";
import { JOURNEY_SCHEMA_VERSION, type Duration, type JourneyDefinition, type JourneyEdge, type JourneyNode, type JourneySettings } from "./schema";

/**
 * Journeys to start from (the product brief's micro journeys): each says what it needs — the
 * segments and message templates its steps name — and builds its definition once it knows
 * the ids of what fills those needs (existing ones the marketer picked, or ones created for
 * it: server/journeys/from-template.ts). Steps are laid out top to bottom, side paths to the
 * left and right, so the journey opens tidy on the canvas.
 *
 * Event names follow the Segment e-commerce spec (`order_completed`, `checkout_started` with
 * a `cartId`); a workspace that tracks other names changes them on the canvas.
 */

export type StarterNeed =
  | { key: string; kind: "segment"; name: string; description: string; definition: SegmentDefinition }
  | { key: string; kind: "template"; name: string; channel: MessageChannel; content: TemplateContent };

export type LifecyclePhase = NonNullable<JourneySettings["phase"]>;

export interface JourneyStarter {
  key: string;
  name: string;
  /** One line for the template's card. */
  description: string;
  phase: LifecyclePhase;
  needs: StarterNeed[];
  /** The draft, given the id that fills each need (by need key). */
  build: (ids: Readonly<Record<string, string>>) => JourneyDefinition;
}

// ——— Building blocks ———

/** Grid to canvas: columns 300 px apart (a step is 240 wide), rows 140 px apart. */
const at = (col: number, row: number) => ({ x: col * 300, y: row * 140 });
const hours = (amount: number): Duration => ({ amount, unit: "hours" });
const days = (amount: number): Duration => ({ amount, unit: "days" });

function edges(...links: [from: string, exit: string, to: string][]): JourneyEdge[] {
  return links.map(([from, exit, to]) => ({ id: `${from}-${exit}`, from, exit, to }));
}

/** The id filling `key`; a starter never builds without all of them. */
function need(ids: Readonly<Record<string, string>>, key: string): string {
  const id = ids[key];
  if (!id) throw new Error(`journey template: no id for “${key}”`);
  return id;
}

function definition(nodes: JourneyNode[], links: JourneyEdge[], settings: JourneySettings): JourneyDefinition {
  return { schemaVersion: JOURNEY_SCHEMA_VERSION, nodes, edges: links, settings };
}

const send = (id: string, position: { x: number; y: number }, label: string, channel: MessageChannel, templateId: string): JourneyNode => ({
  id,
  kind: "send",
  position,
  label,
  channel,
  templateId,
  onFailure: "continue",
});

const exit = (id: string, position: { x: number; y: number }, label?: string): JourneyNode => ({ id, kind: "exit", position, ...(label ? { label } : {}) });

const equals = (path: string, value: string): PropertyFilter => ({ path, valueType: "string", operator: { op: "equals", value } });

/** "Performed `event` (where …) at least once / never, in the last N days / ever." */
function performed(event: string, options: { where?: PropertyFilter[]; never?: boolean; lastDays?: number } = {}): SegmentNode {
  return {
    type: "event",
    event,
    where: options.where ?? [],
    count: options.never ? { op: "eq", value: 0 } : { op: "gte", value: 1 },
    window: options.lastDays ? { kind: "last", amount: options.lastDays, unit: "days" } : { kind: "ever" },
  };
}

const allOf = (...children: SegmentNode[]): SegmentDefinition => ({ schemaVersion: 1, root: { type: "group", op: "and", children } });

const NAME = '{{ person.first_name | default: "there" }}';
const FOOTER = '<p style="color:#6b7280;font-size:12px"><a href="{{ unsubscribe_url }}">Unsubscribe</a> · <a href="{{ preferences_url }}">Email preferences</a></p>';

/** An email in the same frame as the template editor's starter email. */
function email(subject: string, preheader: string, paragraphs: string[]): TemplateContent {
  const body = paragraphs.map((p) => `<p>${p}</p>`).join("\n");
  return {
    channel: "email",
    subscriptionGroupId: null,
    subject,
    preheader,
    html: `<div style="font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2937;max-width:560px;margin:0 auto;padding:24px">\n<p>Hi ${NAME},</p>\n${body}\n${FOOTER}\n</div>\n`,
    text: "",
  };
}

// ——— The starters ———

const featureNudge: JourneyStarter = {
  key: "feature-nudge",
  name: "Feature nudge",
  description: "Opened the tariff calculator 3× in a day but never saw a result: an in-app analysis a day later, then a push inviting to a live call.",
  phase: "consideration",
  needs: [
    {
      key: "analysisOffer",
      kind: "template",
      name: "Tariff analysis offer",
      channel: "inapp",
      content: {
        channel: "inapp",
        subscriptionGroupId: null,
        title: "Want a short analysis of your tariff?",
        body: `You tried the calculator a few times, ${NAME}. We can put your numbers side by side with the plans that fit them.`,
        buttonLabel: "Show my analysis",
        buttonUrl: "/tariffs/analysis",
      },
    },
    {
      key: "liveCall",
      kind: "template",
      name: "Live call invitation",
      channel: "push",
      content: { channel: "push", subscriptionGroupId: null, title: "Questions about your tariff?", body: "Book 15 minutes with an advisor — live, free, no obligation.", url: "/book-a-call", icon: "" },
    },
  ],
  build: (ids) =>
    definition(
      [
        {
          id: "trigger",
          kind: "trigger",
          position: at(0, 0),
          label: "Calculator opened 3× in a day",
          trigger: { type: "event", event: "tariff_calculator_opened", filters: [], count: { atLeast: 3, within: days(1) } },
        },
        { id: "wait_day", kind: "wait", position: at(0, 1), label: "Wait a day", wait: { type: "duration", duration: hours(24) } },
        send("offer", at(0, 2), "In-app: short analysis", "inapp", need(ids, "analysisOffer")),
        { id: "wait_result", kind: "wait", position: at(0, 3), label: "Saw the result?", wait: { type: "event", event: "tariff_result_viewed", filters: [], timeout: days(2) } },
        exit("viewed", at(-1, 4), "Saw the result"),
        send("call", at(0, 4), "Push: invite to a live call", "push", need(ids, "liveCall")),
        exit("done", at(0, 5)),
      ],
      edges(["trigger", "next", "wait_day"], ["wait_day", "next", "offer"], ["offer", "next", "wait_result"], ["wait_result", "event", "viewed"], ["wait_result", "timeout", "call"], ["call", "next", "done"]),
      { goal: { type: "event", event: "tariff_result_viewed", filters: [], window: days(7) }, reentry: { mode: "after", after: days(30) }, phase: "consideration" },
    ),
};

const abandonedCart: JourneyStarter = {
  key: "abandoned-cart",
  name: "Abandoned cart",
  description: "Started checkout but no order on that cart within 4 hours: an email, then an SMS a day later. Once per cart.",
  phase: "purchase",
  needs: [
    {
      key: "cartEmail",
      kind: "template",
      name: "Cart reminder",
      channel: "email",
      content: email("You left something in your cart", "It is still waiting for you.", [
        "You were almost done — your cart is saved and waiting for you.",
        "Questions about sizing or delivery? Just reply to this email.",
      ]),
    },
    {
      key: "cartSms",
      kind: "template",
      name: "Cart last call",
      channel: "sms",
      content: { channel: "sms", subscriptionGroupId: null, text: `Hi ${NAME}, your cart is still saved. Finish your order any time today. Reply STOP to opt out.` },
    },
  ],
  build: (ids) =>
    definition(
      [
        { id: "trigger", kind: "trigger", position: at(0, 0), label: "Checkout started", trigger: { type: "event", event: "checkout_started", filters: [], correlationKey: "properties.cartId" } },
        { id: "wait_order", kind: "wait", position: at(0, 1), label: "Ordered within 4 hours?", wait: { type: "event", event: "order_completed", filters: [], timeout: hours(4) } },
        exit("ordered", at(-1, 2), "Ordered"),
        send("reminder", at(0, 2), "Email: cart reminder", "email", need(ids, "cartEmail")),
        { id: "wait_day", kind: "wait", position: at(0, 3), label: "Wait a day", wait: { type: "duration", duration: days(1) } },
        send("last_call", at(0, 4), "SMS: last call", "sms", need(ids, "cartSms")),
        exit("done", at(0, 5)),
      ],
      edges(["trigger", "next", "wait_order"], ["wait_order", "event", "ordered"], ["wait_order", "timeout", "reminder"], ["reminder", "next", "wait_day"], ["wait_day", "next", "last_call"], ["last_call", "next", "done"]),
      { goal: { type: "event", event: "order_completed", filters: [], window: days(3) }, reentry: { mode: "always" }, phase: "purchase" },
    ),
};

const onboardingDropoff: JourneyStarter = {
  key: "onboarding-dropoff",
  name: "Onboarding drop-off",
  description: "Signed up but did not finish onboarding within a day: an email to pick up where they left off, then a push two days later.",
  phase: "consideration",
  needs: [
    {
      key: "resumeEmail",
      kind: "template",
      name: "Finish setting up",
      channel: "email",
      content: email("Two minutes to finish setting up", "Pick up right where you left off.", [
        "You are a couple of steps away from your personal plan. Pick up right where you left off — it takes about two minutes.",
      ]),
    },
    {
      key: "resumePush",
      kind: "template",
      name: "Finish setting up (push)",
      channel: "push",
      content: { channel: "push", subscriptionGroupId: null, title: "Your plan is almost ready", body: "Finish setting up in two minutes.", url: "/onboarding", icon: "" },
    },
  ],
  build: (ids) =>
    definition(
      [
        { id: "trigger", kind: "trigger", position: at(0, 0), label: "Signed up", trigger: { type: "event", event: "signed_up", filters: [] } },
        { id: "wait_done", kind: "wait", position: at(0, 1), label: "Finished within a day?", wait: { type: "event", event: "onboarding_completed", filters: [], timeout: days(1) } },
        exit("finished", at(-1, 2), "Finished onboarding"),
        send("resume", at(0, 2), "Email: pick up where you left off", "email", need(ids, "resumeEmail")),
        { id: "wait_again", kind: "wait", position: at(0, 3), label: "Finished within 2 days?", wait: { type: "event", event: "onboarding_completed", filters: [], timeout: days(2) } },
        exit("finished_later", at(-1, 4), "Finished onboarding"),
        send("nudge", at(0, 4), "Push: almost ready", "push", need(ids, "resumePush")),
        exit("done", at(0, 5)),
      ],
      edges(
        ["trigger", "next", "wait_done"],
        ["wait_done", "event", "finished"],
        ["wait_done", "timeout", "resume"],
        ["resume", "next", "wait_again"],
        ["wait_again", "event", "finished_later"],
        ["wait_again", "timeout", "nudge"],
        ["nudge", "next", "done"],
      ),
      { goal: { type: "event", event: "onboarding_completed", filters: [], window: days(7) }, reentry: { mode: "never" }, phase: "consideration" },
    ),
};

const winBack: JourneyStarter = {
  key: "win-back",
  name: "Win back lapsed buyers",
  description: "Entered “Lapsed buyers”: an email with an offer, then an SMS if they have not ordered in 5 days; 10 % held out to measure the lift.",
  phase: "retention",
  needs: [
    {
      key: "lapsedBuyers",
      kind: "segment",
      name: "Lapsed buyers",
      description: "Ordered before, but nothing in the last 90 days.",
      definition: allOf(performed("order_completed"), performed("order_completed", { never: true, lastDays: 90 })),
    },
    {
      key: "winbackEmail",
      kind: "template",
      name: "We miss you",
      channel: "email",
      content: email("We miss you — 15 % off your next order", "A little something to welcome you back.", [
        "It has been a while. Here is 15 % off your next order, valid for the next 7 days.",
        "Use the code <strong>WELCOMEBACK</strong> at checkout.",
      ]),
    },
    {
      key: "winbackSms",
      kind: "template",
      name: "Win-back offer ends soon",
      channel: "sms",
      content: { channel: "sms", subscriptionGroupId: null, text: `${NAME}, your 15 % welcome-back code WELCOMEBACK ends in 2 days. Reply STOP to opt out.` },
    },
  ],
  build: (ids) =>
    definition(
      [
        { id: "trigger", kind: "trigger", position: at(0, 0), label: "Became a lapsed buyer", trigger: { type: "segment_entered", segmentId: need(ids, "lapsedBuyers") } },
        {
          id: "holdout",
          kind: "split",
          position: at(0, 1),
          label: "Hold 10 % out",
          arms: [
            { id: "offer", name: "Offer", percent: 90, holdout: false },
            { id: "holdout", name: "Holdout", percent: 10, holdout: true },
          ],
        },
        send("offer", at(0, 2), "Email: 15 % off", "email", need(ids, "winbackEmail")),
        exit("held_out", at(1, 2), "Held out"),
        { id: "wait_order", kind: "wait", position: at(0, 3), label: "Ordered within 5 days?", wait: { type: "event", event: "order_completed", filters: [], timeout: days(5) } },
        exit("ordered", at(-1, 4), "Ordered"),
        send("reminder", at(0, 4), "SMS: the offer ends soon", "sms", need(ids, "winbackSms")),
        exit("done", at(0, 5)),
      ],
      edges(
        ["trigger", "next", "holdout"],
        ["holdout", "offer", "offer"],
        ["holdout", "holdout", "held_out"],
        ["offer", "next", "wait_order"],
        ["wait_order", "event", "ordered"],
        ["wait_order", "timeout", "reminder"],
        ["reminder", "next", "done"],
      ),
      { goal: { type: "event", event: "order_completed", filters: [], window: days(14) }, reentry: { mode: "after", after: days(90) }, phase: "retention" },
    ),
};

const crossSell: JourneyStarter = {
  key: "cross-sell",
  name: "Post-purchase cross-sell",
  description: "Three days after an order, an offer that goes with what they bought — never more of the same: accessories for a new watch, a membership for an accessory.",
  phase: "retention",
  needs: [
    {
      key: "accessoriesEmail",
      kind: "template",
      name: "Accessories for your watch",
      channel: "email",
      content: email("Make your new watch yours", "Bands, chargers and straps that fit it.", [
        "How are the first days with your new watch? A spare band, a fast charger or a chest strap for precise heart rate zones make it even better.",
        '<a href="/accessories">See what fits your watch</a>',
      ]),
    },
    {
      key: "membershipEmail",
      kind: "template",
      name: "Membership offer",
      channel: "email",
      content: email("Get more out of every workout", "Training plans and sleep insights with a membership.", [
        "Thanks for your order! With a Plus membership your watch turns into a coach: training plans, recovery advice and weekly sleep reports.",
        '<a href="/pricing">Try Plus for a month</a>',
      ]),
    },
  ],
  build: (ids) => {
    const bought = (category: string) => performed("order_completed", { where: [equals("category", category)], lastDays: 4 });
    const notBought = (category: string, lastDays?: number) => performed("order_completed", { where: [equals("category", category)], never: true, lastDays });
    return definition(
      [
        { id: "trigger", kind: "trigger", position: at(0, 0), label: "Ordered", trigger: { type: "event", event: "order_completed", filters: [] } },
        { id: "wait_days", kind: "wait", position: at(0, 1), label: "Wait 3 days", wait: { type: "duration", duration: days(3) } },
        {
          id: "bought",
          kind: "branch",
          position: at(0, 2),
          label: "What did they buy?",
          cases: [
            { id: "watch", name: "A watch, no accessory yet", condition: allOf(bought("watches"), notBought("accessories", 4)) },
            { id: "accessory", name: "An accessory, no membership", condition: allOf(bought("accessories"), notBought("subscriptions")) },
          ],
        },
        send("accessories", at(-1, 3), "Email: accessories for the watch", "email", need(ids, "accessoriesEmail")),
        send("membership", at(0, 3), "Email: membership offer", "email", need(ids, "membershipEmail")),
        exit("nothing", at(1, 3), "Nothing to offer"),
        exit("done_accessories", at(-1, 4)),
        exit("done_membership", at(0, 4)),
      ],
      edges(
        ["trigger", "next", "wait_days"],
        ["wait_days", "next", "bought"],
        ["bought", "watch", "accessories"],
        ["bought", "accessory", "membership"],
        ["bought", "else", "nothing"],
        ["accessories", "next", "done_accessories"],
        ["membership", "next", "done_membership"],
      ),
      // Conversion: a click on the offer (another order would also count the one that started the journey).
      { goal: { type: "event", event: "email_clicked", filters: [], window: days(7) }, reentry: { mode: "always" }, phase: "retention" },
    );
  },
};

const welcomeSeries: JourneyStarter = {
  key: "welcome-series",
  name: "Welcome series",
  description: "Three emails over five days after sign-up — welcome, first-week tips, a first-order offer — ending as soon as they order.",
  phase: "awareness",
  needs: [
    {
      key: "welcomeEmail",
      kind: "template",
      name: "Welcome",
      channel: "email",
      content: email("Welcome aboard!", "Here is how to get started.", ["Welcome! We are glad you are here. Your account is ready — here is how to get the most out of your first week."]),
    },
    {
      key: "tipsEmail",
      kind: "template",
      name: "Three tips for your first week",
      channel: "email",
      content: email("Three tips for your first week", "Small habits, big difference.", [
        "1. Set a daily step goal you can reach. 2. Wear your watch to sleep for a week. 3. Try one zone-2 session.",
      ]),
    },
    {
      key: "firstOrderEmail",
      kind: "template",
      name: "First order offer",
      channel: "email",
      content: email("10 % off your first order", "Our welcome gift, valid for a week.", ["As a welcome gift, here is 10 % off your first order with the code <strong>HELLO10</strong>."]),
    },
  ],
  build: (ids) =>
    definition(
      [
        { id: "trigger", kind: "trigger", position: at(0, 0), label: "Signed up", trigger: { type: "event", event: "signed_up", filters: [] } },
        send("welcome", at(0, 1), "Email: welcome", "email", need(ids, "welcomeEmail")),
        { id: "wait_2", kind: "wait", position: at(0, 2), label: "Wait 2 days", wait: { type: "duration", duration: days(2) } },
        send("tips", at(0, 3), "Email: first-week tips", "email", need(ids, "tipsEmail")),
        { id: "wait_3", kind: "wait", position: at(0, 4), label: "Wait 3 days", wait: { type: "duration", duration: days(3) } },
        send("offer", at(0, 5), "Email: first-order offer", "email", need(ids, "firstOrderEmail")),
        exit("done", at(0, 6)),
      ],
      edges(["trigger", "next", "welcome"], ["welcome", "next", "wait_2"], ["wait_2", "next", "tips"], ["tips", "next", "wait_3"], ["wait_3", "next", "offer"], ["offer", "next", "done"]),
      { goal: { type: "event", event: "order_completed", filters: [], window: days(14) }, reentry: { mode: "never" }, phase: "awareness" },
    ),
};

export const JOURNEY_STARTERS: readonly JourneyStarter[] = [featureNudge, abandonedCart, onboardingDropoff, winBack, crossSell, welcomeSeries];

export function journeyStarter(key: string): JourneyStarter | undefined {
  return JOURNEY_STARTERS.find((s) => s.key === key);
}

/** Stand-in ids (`need:<key>`), to look at a starter's shape before anything exists. */
export function placeholderIds(starter: JourneyStarter): Record<string, string> {
  return Object.fromEntries(starter.needs.map((n) => [n.key, `need:${n.key}`]));
}

/** The starter's steps in reading order (its labels, without the exits): what its card lists. */
export function starterSteps(starter: JourneyStarter): string[] {
  const def = starter.build(placeholderIds(starter));
  return def.nodes.filter((n) => n.kind !== "exit").map((n) => n.label ?? n.kind);
}
