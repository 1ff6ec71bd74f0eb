/** JSON with object keys in one order, so equal values give equal text (jsonb, for one, keeps its own key order). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** Text a person typed as a JSON object ("{ \"plan\": \"pro\" }"; empty is {}), or what is wrong with it, naming `what`. */
export function parseJsonObject(text: string, what: string): { value: Record<string, unknown> | null; error: string | null } {
  if (!text.trim()) return { value: {}, error: null };
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { value: null, error: `${what} must be a JSON object: { "key": "value" }` };
    return { value: parsed as Record<string, unknown>, error: null };
  } catch (error) {
    return { value: null, error: `Not valid JSON: ${(error as Error).message}` };
  }
}
