import { Liquid, LiquidError, type Template } from "liquidjs";
import { compile } from "html-to-text";
import { TEMPLATE_FIELDS, TEMPLATE_LIMITS, type TemplateContent } from "./schema";

/**
 * Rendering a template: the one path the preview, test sends and (later) journey sends
 * take. Liquid via liquidjs, fenced in so no template can hang the server, exhaust its
 * memory or read what it should not:
 * - parse, render-time and memory limits (TEMPLATE_LIMITS);
 * - strict variables and filters: a name that does not exist is an error that names it,
 *   never a silent blank ("Hi ,"); `{% if %}` and `| default` may still test for absence;
 * - own properties only (no `constructor`, no prototype walks);
 * - partials only from the given map (`{% render 'footer' %}`), never from the file system;
 * - the HTML body escapes every output (`| raw` opts out), other fields are text.
 */

export interface TemplateVariables {
  /** The person's traits and built-in fields (user_id, email, phone, timezone…). */
  person: Record<string, unknown>;
  /** The event that triggered the send: { name, properties, timestamp }. */
  event?: Record<string, unknown>;
  journey?: Record<string, unknown>;
  unsubscribe_url?: string;
  preferences_url?: string;
}

export interface TemplateError {
  /** Which field of the content ("subject", "html", …) or partial ("partial:footer"). */
  field: string;
  message: string;
  line?: number;
  column?: number;
}

export type RenderedContent = Record<string, string>;
export type RenderResult = { ok: true; output: RenderedContent } | { ok: false; errors: TemplateError[] };

const ENGINE_OPTIONS = {
  strictVariables: true,
  strictFilters: true,
  lenientIf: true,
  ownPropertyOnly: true,
  jsTruthy: false,
  dynamicPartials: true,
  relativeReference: false,
  cache: true,
  parseLimit: TEMPLATE_LIMITS.html * 4,
  renderLimit: TEMPLATE_LIMITS.renderMs,
  memoryLimit: TEMPLATE_LIMITS.output,
} as const;

/**
 * Engines by partial set and escaping, each with the sources it parsed: a template sent to
 * many people is parsed once. (A parsed template belongs to its engine: its `render` tags
 * look partials up there.)
 */
interface Engine {
  liquid: Liquid;
  parsed: Map<string, Template[]>;
}
const engines = new Map<string, Engine>();
/** The same partials object (a version's, sent to many people) finds its engines without building the key again. */
const byObject = new WeakMap<Record<string, string>, { h?: Engine; t?: Engine }>();
function engineFor(partials: Record<string, string>, escape: boolean): Engine {
  const known = byObject.get(partials);
  const hit = known?.[escape ? "h" : "t"];
  if (hit) return hit;
  const key = `${escape ? "h" : "t"}:${JSON.stringify(Object.entries(partials).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
  let engine = engines.get(key);
  if (!engine) {
    engine = { liquid: new Liquid({ ...ENGINE_OPTIONS, templates: { ...partials }, outputEscape: escape ? "escape" : undefined }), parsed: new Map() };
    if (engines.size >= 64) engines.delete(engines.keys().next().value!);
    engines.set(key, engine);
  }
  byObject.set(partials, { ...known, [escape ? "h" : "t"]: engine });
  return engine;
}

function parse(engine: Engine, source: string): Template[] {
  let tpl = engine.parsed.get(source);
  if (!tpl) {
    tpl = engine.liquid.parse(source);
    if (engine.parsed.size >= 200) engine.parsed.delete(engine.parsed.keys().next().value!);
    engine.parsed.set(source, tpl);
  }
  return tpl;
}

/** A Liquid error as a person reads it: what, and where (line and column of the field). */
export function describeError(field: string, error: unknown): TemplateError {
  if (error instanceof LiquidError) {
    const [line, column] = error.token?.getPosition?.() ?? [];
    // liquidjs appends ", line:2, col:6" to its messages; the position travels separately.
    let message = (error.originalError?.message ?? error.message).replace(/, line:\d+, col:\d+$/, "");
    const missing = /^ENOENT: Failed to lookup "([^"]*)"/.exec(message);
    if (missing) message = `there is no partial named "${missing[1]}"`;
    if (/memory alloc limit exceeded/.test(message)) message = "the message grows too large (a loop that never ends?)";
    if (/template render limit exceeded/.test(message)) message = `rendering took longer than ${TEMPLATE_LIMITS.renderMs} ms (a loop that never ends?)`;
    if (/parse length limit exceeded/.test(message)) message = "the template is too long";
    return { field, message, line, column };
  }
  return { field, message: error instanceof Error ? error.message : String(error) };
}

function scopeOf(variables: TemplateVariables): Record<string, unknown> {
  return {
    person: variables.person,
    event: variables.event ?? {},
    journey: variables.journey ?? {},
    unsubscribe_url: variables.unsubscribe_url ?? "",
    preferences_url: variables.preferences_url ?? "",
  };
}

/** Renders one Liquid source; throws the Liquid error. */
function renderField(source: string, html: boolean, partials: Record<string, string>, scope: Record<string, unknown>): string {
  if (!source.includes("{")) return source;
  const engine = engineFor(partials, html);
  // The scope is also global, so partials (`{% render 'footer' %}`) see the person and the links.
  const out = engine.liquid.renderSync(parse(engine, source), scope, { globals: scope });
  return typeof out === "string" ? out : String(out);
}

/** Checks a source parses (the editor marks errors while typing, before any person is chosen). */
export function checkSyntax(field: string, source: string, partials: Record<string, string> = {}): TemplateError | null {
  try {
    engineFor(partials, false).liquid.parse(source);
    return null;
  } catch (error) {
    return describeError(field, error);
  }
}

/** html-to-text's converter, compiled once (its `convert` compiles the options on every call). */
const toText = compile({
  wordwrap: 78,
  selectors: [
    { selector: "a", options: { hideLinkHrefIfSameAsText: true } },
    { selector: "img", format: "skip" },
    { selector: "[data-preheader]", format: "skip" },
  ],
});

/** The text part of an email, from its rendered HTML. */
export function htmlToText(html: string): string {
  return toText(html).trim();
}

/**
 * The text part an email gets when none is written: its HTML *template* turned into a text
 * template once (partials inlined, Liquid kept in place), then rendered per person like any
 * field — converting each rendered HTML instead costs most of a render. Null when the
 * derived template does not render; the caller then converts the rendered HTML.
 */
const derivedTexts = new Map<string, string | null>();
function generatedText(html: string, partials: Record<string, string>, scope: Record<string, unknown>): string | null {
  const key = `${html}\u0000${JSON.stringify(partials)}`;
  let source = derivedTexts.get(key);
  if (source === undefined) {
    source = textTemplateFrom(html, partials);
    if (derivedTexts.size >= 200) derivedTexts.delete(derivedTexts.keys().next().value!);
    derivedTexts.set(key, source);
  }
  if (source === null) return null;
  try {
    return renderField(source, false, {}, scope).trim();
  } catch {
    return null;
  }
}

/** An HTML template as a text template: Liquid tags kept as they are (even inside links), everything else as html-to-text writes it. */
export function textTemplateFrom(html: string, partials: Record<string, string>): string | null {
  // Partials first (they are HTML too), a few levels deep at most.
  let source = html;
  for (let depth = 0; depth < 5 && /\{%-?\s*(?:render|include)\s/.test(source); depth++) {
    source = source.replace(/\{%-?\s*(?:render|include)\s+(['"])([^'"]+)\1[^%]*-?%\}/g, (tag, _q, name: string) => (name in partials ? partials[name]! : tag));
  }
  // Liquid becomes opaque tokens with no spaces (so wrapping cannot split one), and back.
  const tags: string[] = [];
  const masked = source.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, (tag) => `\u0001${tags.push(tag) - 1}\u0002`);
  const text = htmlToText(masked).replace(/\u0001(\d+)\u0002/g, (_m, i: string) => tags[Number(i)] ?? "");
  if (/\u0001|\u0002/.test(text) || checkSyntax("text", text)) return null;
  return text;
}

/** Inbox preview text: first in the body, hidden when the email is opened. */
function withPreheader(html: string, preheader: string): string {
  if (!preheader) return html;
  const escaped = preheader.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<div data-preheader style="display:none;max-height:0;overflow:hidden;mso-hide:all">${escaped}</div>\n${html}`;
}

/**
 * Renders every field of a template for one person. Every field is tried, so the editor
 * can mark all the errors at once; any error means nothing is sent.
 */
export function renderTemplate(content: TemplateContent, variables: TemplateVariables, partials: Record<string, string> = {}): RenderResult {
  const scope = scopeOf(variables);
  const output: RenderedContent = {};
  const errors: TemplateError[] = [];
  for (const field of TEMPLATE_FIELDS[content.channel]) {
    const source = (content as unknown as Record<string, string>)[field.key] ?? "";
    try {
      output[field.key] = renderField(source, field.html === true, partials, scope);
    } catch (error) {
      errors.push(describeError(field.key, error));
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  if (content.channel === "email") {
    if (!output.text?.trim()) output.text = generatedText(content.html, partials, scope) ?? htmlToText(output.html!);
    output.html = withPreheader(output.html!, output.preheader!);
  }
  for (const [key, value] of Object.entries(output)) {
    if (value.length > TEMPLATE_LIMITS.output) return { ok: false, errors: [{ field: key, message: "the message grows too large" }] };
  }
  return { ok: true, output };
}

/** The partials a content refers to by name (`{% render 'x' %}`, `{% include "x" %}`), for freezing with a version. */
export function partialsUsed(sources: string[], partials: Record<string, string>): Record<string, string> {
  const used: Record<string, string> = {};
  const queue = [...sources];
  while (queue.length > 0) {
    const source = queue.pop()!;
    for (const match of source.matchAll(/\{%-?\s*(?:render|include)\s+(['"])([^'"]+)\1/g)) {
      const name = match[2]!;
      if (name in partials && !(name in used)) {
        used[name] = partials[name]!;
        queue.push(partials[name]!);
      }
    }
  }
  return used;
}

/** Every Liquid source of a content, for partialsUsed. */
export function sourcesOf(content: TemplateContent): string[] {
  return TEMPLATE_FIELDS[content.channel].map((f) => (content as unknown as Record<string, string>)[f.key] ?? "");
}
