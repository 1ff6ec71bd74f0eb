/**
 * What Postgres can store, checked before anything is written. Its text and jsonb types
 * cannot hold U+0000, and a lone UTF-16 surrogate (a string cut inside an emoji) has no
 * UTF-8 form: jsonb refuses it, and a text parameter silently becomes U+FFFD — two
 * different ids would turn into one. Deep nesting overflows recursive code (ours, zod's,
 * Postgres's), so depth is bounded too. The walk is iterative: any input is safe to check.
 */

/** Text without NUL and without lone surrogates (as a zod `.regex()`). */
export const STORABLE = /^(?:[^\u0000\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
export const UNSTORABLE_MESSAGE = "must not contain NUL characters or broken Unicode (a lone UTF-16 surrogate)";

export function isStorableText(text: string): boolean {
  return !text.includes("\u0000") && text.isWellFormed();
}

/** How deep JSON from a client may nest (the value itself is level 0): messages, tRPC input. */
export const MAX_JSON_DEPTH = 64;

export interface JsonProblem {
  kind: "unstorable" | "too-deep";
  /** Where: keys and indexes from the top (`["properties", "title"]`); a bad key is reported at its object, too deep nesting at its top-level field. */
  path: (string | number)[];
  message: string;
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | null;
  key: string | number | null;
}

function pathOf(frame: Frame | null): (string | number)[] {
  const path: (string | number)[] = [];
  for (let f = frame; f && f.key !== null; f = f.parent) path.push(f.key);
  return path.reverse();
}

/**
 * The first thing in a parsed JSON value that cannot be stored: a string or key with NUL
 * or a lone surrogate, or nesting deeper than `maxDepth` (the value itself is depth 0).
 */
export function findUnstorable(value: unknown, maxDepth: number): JsonProblem | null {
  const stack: Frame[] = [{ value, depth: 0, parent: null, key: null }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const current = frame.value;
    if (typeof current === "string") {
      if (!isStorableText(current)) return { kind: "unstorable", path: pathOf(frame), message: UNSTORABLE_MESSAGE };
      continue;
    }
    if (current === null || typeof current !== "object") continue;
    // Named by its top-level field: the full path of a nesting bomb is itself a bomb.
    if (frame.depth >= maxDepth) return { kind: "too-deep", path: pathOf(frame).slice(0, 1), message: `must not nest deeper than ${maxDepth} levels` };
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], depth: frame.depth + 1, parent: frame, key: i });
      continue;
    }
    const keys = Object.keys(current);
    for (const key of keys) {
      if (!isStorableText(key)) return { kind: "unstorable", path: pathOf(frame), message: `keys ${UNSTORABLE_MESSAGE}` };
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      stack.push({ value: (current as Record<string, unknown>)[key], depth: frame.depth + 1, parent: frame, key });
    }
  }
  return null;
}

/** `properties.title: must not …` (or just the message at the top). */
export function describeProblem(problem: Pick<JsonProblem, "path" | "message">, prefix: (string | number)[] = []): string {
  const path = [...prefix, ...problem.path].map(String).join(".");
  return path ? `${path}: ${problem.message}` : problem.message;
}
