/**
 * How a message changes a profile: trait merge (a null removes a trait) and the built-in
 * fields Junction keeps in columns for segments and sends.
 */

export type Traits = Record<string, unknown>;

export interface ProfileFields {
  traits: Traits;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  locale: string | null;
  country: string | null;
}

/** Shallow merge; `null` removes the trait, `undefined` leaves it alone. */
export function mergeTraits(existing: Traits, incoming: Traits): Traits {
  const merged: Traits = { ...existing };
  for (const [key, value] of Object.entries(incoming)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged;
}

function text(value: unknown, max = 320): string | null {
  if (typeof value === "number") return String(value);
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed ? trimmed.slice(0, max) : null;
}

function at(obj: unknown, ...path: string[]): unknown {
  let current = obj;
  for (const key of path) {
    if (!current || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Built-ins from the merged traits and the message context (context wins for device facts). */
export function profileFields(traits: Traits, context: Record<string, unknown>, previous?: ProfileFields): ProfileFields {
  const pick = (fresh: string | null, old: string | null | undefined) => fresh ?? old ?? null;
  return {
    traits,
    email: text(traits.email)?.toLowerCase() ?? null,
    phone: text(traits.phone, 40),
    timezone: pick(text(at(context, "timezone"), 64) ?? text(traits.timezone, 64), previous?.timezone),
    locale: pick(text(at(context, "locale"), 35) ?? text(traits.locale, 35), previous?.locale),
    country: pick(
      text(traits.country, 64) ?? text(at(traits, "address", "country"), 64) ?? text(at(context, "location", "country"), 64),
      previous?.country,
    ),
  };
}
