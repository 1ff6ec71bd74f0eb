/**
 * What a template sees of a person and an event. `person` is the person's traits with the
 * built-in fields on top (`user_id`, `email`, `phone`, `timezone`, `locale`, `country`,
 * `first_seen_at`, `last_seen_at`) — the names the variable list in the editor shows.
 */

export interface PersonFields {
  userId: string | null;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  locale: string | null;
  country: string | null;
  traits: unknown;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

export const BUILT_IN_PERSON_FIELDS = ["user_id", "email", "phone", "timezone", "locale", "country", "first_seen_at", "last_seen_at"] as const;

export function personVariables(p: PersonFields): Record<string, unknown> {
  const traits = typeof p.traits === "object" && p.traits !== null && !Array.isArray(p.traits) ? (p.traits as Record<string, unknown>) : {};
  const builtIn: Record<string, unknown> = {
    user_id: p.userId,
    email: p.email,
    phone: p.phone,
    timezone: p.timezone,
    locale: p.locale,
    country: p.country,
    first_seen_at: p.firstSeenAt.toISOString(),
    last_seen_at: p.lastSeenAt.toISOString(),
  };
  // A built-in field the person lacks stays absent, so `| default` and `{% if %}` see that.
  const present = Object.fromEntries(Object.entries(builtIn).filter(([, v]) => v !== null && v !== undefined));
  return { ...traits, ...present };
}

export interface EventFields {
  name: string | null;
  properties: unknown;
  timestamp: Date | string;
}

export function eventVariables(e: EventFields): Record<string, unknown> {
  return {
    name: e.name,
    properties: typeof e.properties === "object" && e.properties !== null ? e.properties : {},
    timestamp: typeof e.timestamp === "string" ? e.timestamp : e.timestamp.toISOString(),
  };
}

/** The person used when none is chosen (a workspace with no people yet), so a preview still shows something. */
/** The event of a preview that has none (no person chosen, or one with no events yet). */
export function exampleEvent(at: Date): Record<string, unknown> {
  return { name: "example_event", properties: {}, timestamp: at.toISOString() };
}

export const EXAMPLE_PERSON: Record<string, unknown> = {
  user_id: "example-user",
  email: "alex@example.com",
  first_name: "Alex",
  last_name: "Example",
};

