/**
 * How a person is named wherever people are listed: their name from traits when there is
 * one, else their email, else their user id; the next best thing underneath. Raw ids are
 * for machines, names for marketers.
 */
export interface Nameable {
  /** A name already taken from traits (lists that do not carry whole traits: `memberSummary`). */
  name?: string | null;
  /** Stored traits: any JSON, used only when it is an object. */
  traits?: unknown;
  email?: string | null;
  userId?: string | null;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

/** "Ada Lovelace" from `name`, or `first_name`/`last_name` (also camelCase), or null. */
function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export function personName(stored: unknown): string | null {
  const traits = asObject(stored);
  if (!traits) return null;
  const whole = text(traits.name) ?? text(traits.full_name) ?? text(traits.fullName);
  if (whole) return whole;
  const parts = [text(traits.first_name) ?? text(traits.firstName), text(traits.last_name) ?? text(traits.lastName)].filter(Boolean);
  return parts.length > 0 ? parts.join(" ") : null;
}

export function personLabel(person: Nameable): { primary: string; secondary: string | null; anonymous: boolean } {
  const name = text(person.name) ?? personName(person.traits);
  const email = text(person.email) ?? text(asObject(person.traits)?.email);
  const userId = text(person.userId);
  const [primary, ...rest] = [name, email, userId].filter((v): v is string => v !== null);
  if (!primary) return { primary: "Anonymous visitor", secondary: null, anonymous: true };
  return { primary, secondary: rest[0] ?? null, anonymous: false };
}

/** What a list of people carries of each (no whole traits): ids, email and the name from traits. */
export interface MemberSummary {
  id: string;
  userId: string | null;
  email: string | null;
  name: string | null;
}

export function memberSummary(p: { id: string; userId: string | null; email: string | null; traits: unknown }): MemberSummary {
  return { id: p.id, userId: p.userId, email: p.email, name: personName(p.traits) };
}
