import { describe, expect, it } from "vitest";
import { checkSyntax, htmlToText, partialsUsed, renderTemplate } from "./render";
import { starterContent, MESSAGE_CHANNELS, type TemplateContent } from "./schema";

const person = { user_id: "u-1", first_name: "Ann", email: "ann@example.com", plan: "pro" };
const email = (over: Partial<Extract<TemplateContent, { channel: "email" }>> = {}): TemplateContent => ({
  channel: "email",
  subscriptionGroupId: null,
  subject: "Hi {{ person.first_name }}",
  preheader: "",
  html: "<p>Hi {{ person.first_name }}</p>",
  text: "",
  ...over,
});

describe("rendering a template", () => {
  it("renders every field with the person, the event and the links", () => {
    const result = renderTemplate(
      email({ html: '<p>{{ event.properties.count }} times. <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>' }),
      { person, event: { name: "tariff_calculator_opened", properties: { count: 3 } }, unsubscribe_url: "https://x.test/u/abc" },
    );
    expect(result).toEqual({
      ok: true,
      output: {
        subject: "Hi Ann",
        preheader: "",
        html: '<p>3 times. <a href="https://x.test/u/abc">Unsubscribe</a></p>',
        text: "3 times. Unsubscribe [https://x.test/u/abc]",
      },
    });
  });

  it("escapes what a person's data puts into HTML, not into the subject or text", () => {
    const evil = { ...person, first_name: '<script>alert("x")</script>' };
    const result = renderTemplate(email(), { person: evil });
    expect(result.ok && result.output.html).toBe("<p>Hi &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>");
    expect(result.ok && result.output.subject).toBe('Hi <script>alert("x")</script>');
    // The marketer's own markup is theirs to opt out of escaping.
    const raw = renderTemplate(email({ subject: "", html: "{{ person.bio | raw }}" }), { person: { bio: "<b>hi</b>" } });
    expect(raw.ok && raw.output.html).toBe("<b>hi</b>");
  });

  it("names an unknown variable with its line and column, and tries every field", () => {
    const result = renderTemplate(email({ subject: "Hi {{ person.nickname }}", html: "<p>\n  {{ persn.first_name }}</p>" }), { person });
    expect(result).toEqual({
      ok: false,
      errors: [
        { field: "subject", message: "undefined variable: person.nickname", line: 1, column: 7 },
        { field: "html", message: "undefined variable: persn", line: 2, column: 6 },
      ],
    });
  });

  it("lets a template test for absence: if and default", () => {
    const result = renderTemplate(
      email({ subject: '{{ person.nickname | default: "there" }}', html: "{% if person.nickname %}yes{% else %}no{% endif %}" }),
      { person },
    );
    expect(result.ok && [result.output.subject, result.output.html]).toEqual(["there", "no"]);
  });

  it("says where a syntax error is and which filter does not exist", () => {
    expect(checkSyntax("html", "<p>\n{% if person.plan %}</p>")).toEqual({ field: "html", message: "tag {% if person.plan %} not closed", line: 2, column: 1 });
    expect(checkSyntax("subject", "{{ person.plan | shout }}")).toEqual({ field: "subject", message: "undefined filter: shout", line: 1, column: 1 });
    expect(checkSyntax("subject", "{{ person.plan }}")).toBeNull();
  });

  it("reads own properties only", () => {
    const result = renderTemplate(email({ subject: "{{ person.constructor.name }}" }), { person });
    expect(result.ok).toBe(false);
    const proto = renderTemplate(email({ subject: "{{ person.toString }}" }), { person });
    expect(proto.ok).toBe(false);
  });

  it("stops a template that would hang the server or exhaust its memory", () => {
    const started = Date.now();
    const loop = renderTemplate(email({ html: "{% for i in (1..100000000) %}{% for j in (1..100000000) %}x{% endfor %}{% endfor %}" }), { person });
    expect(loop).toMatchObject({ ok: false, errors: [{ field: "html", message: expect.stringMatching(/too large|longer than/) }] });
    const doubling = renderTemplate(
      email({ html: "{% assign s = 'xxxxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}" }),
      { person },
    );
    expect(doubling).toMatchObject({ ok: false, errors: [{ field: "html", message: expect.stringMatching(/too large|longer than/) }] });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("survives odd input: NUL characters, lone surrogates, deep nesting", () => {
    const odd = renderTemplate(email({ subject: "a\u0000b {{ person.first_name }} \ud800" }), { person: { first_name: "x\u0000\udc00" } });
    expect(odd.ok && odd.output.subject).toBe("a\u0000b x\u0000\udc00 \ud800");
    const deep = "{% if true %}".repeat(2_000) + "x" + "{% endif %}".repeat(2_000);
    const nested = renderTemplate(email({ html: deep }), { person });
    expect(nested.ok ? nested.output.html : nested.errors[0]!.field).toBeTruthy();
  });

  it("renders partials from the given map only, and says when one is missing", () => {
    const partials = { footer: '<p>Bye {{ person.first_name }}. <a href="{{ unsubscribe_url }}">Leave</a></p>' };
    const ok = renderTemplate(email({ html: "<p>Hi</p>{% render 'footer', person: person, unsubscribe_url: unsubscribe_url %}" }), { person, unsubscribe_url: "u" }, partials);
    expect(ok.ok && ok.output.html).toBe('<p>Hi</p><p>Bye Ann. <a href="u">Leave</a></p>');
    const missing = renderTemplate(email({ html: "{% render 'header' %}" }), { person }, partials);
    expect(missing).toMatchObject({ ok: false, errors: [{ field: "html", message: 'there is no partial named "header"', line: 1, column: 1 }] });
    const escape = renderTemplate(email({ html: "{% render '../../../../etc/passwd' %}" }), { person }, partials);
    expect(escape.ok).toBe(false);
  });

  it("puts the preheader first in the body, hidden, and keeps it out of the text part", () => {
    const result = renderTemplate(email({ preheader: "Your {{ person.plan }} plan" }), { person });
    expect(result.ok && result.output.html).toMatch(/^<div data-preheader style="display:none[^"]*">Your pro plan<\/div>\n<p>Hi Ann<\/p>$/);
    expect(result.ok && result.output.text).toBe("Hi Ann");
  });

  it("keeps a written text version", () => {
    const result = renderTemplate(email({ text: "Hello {{ person.first_name }}" }), { person });
    expect(result.ok && result.output.text).toBe("Hello Ann");
  });

  it("renders each channel's starter content for a person with a first name", () => {
    for (const channel of MESSAGE_CHANNELS) {
      const partials = { header: "<h1>Acme</h1>", footer: "<p>Acme</p>" };
      const result = renderTemplate(starterContent(channel), { person, event: { name: "signed_up", properties: {} } }, partials);
      expect(result, channel).toMatchObject({ ok: true });
    }
  });
});

describe("the partials a template uses", () => {
  it("follows render and include, through partials that use partials", () => {
    const partials = { header: "{% render 'logo' %}", logo: "<img>", footer: "f", unused: "u" };
    expect(partialsUsed(["{% render 'header' %} {%- include \"footer\" %} {% render 'nope' %}"], partials)).toEqual({ header: "{% render 'logo' %}", logo: "<img>", footer: "f" });
  });
});

describe("the text part", () => {
  it("keeps link targets, drops images", () => {
    expect(htmlToText('<h1>Title</h1><p>See <a href="https://a.test">our offer</a><img src="x.png" alt="x"></p>')).toBe("TITLE\n\nSee our offer [https://a.test]");
  });
});

describe("partials see the person and the links", () => {
  it("without passing them in", () => {
    const result = renderTemplate(email({ html: "{% render 'footer' %}" }), { person, unsubscribe_url: "https://u.test" }, { footer: '{{ person.first_name }} <a href="{{ unsubscribe_url }}">x</a>' });
    expect(result.ok && result.output.html).toBe('Ann <a href="https://u.test">x</a>');
  });
});

describe("the generated text part", () => {
  it("says the same as converting each rendered HTML (words, links, order), only made once per template", () => {
    const partials = { header: "<h1>Acme {{ person.plan | upcase }}</h1>", footer: '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>' };
    const html = `{% render 'header' %}<p>Hi {{ person.first_name }},</p>{% if person.plan == "pro" %}<ul><li>One</li><li>{{ person.email }}</li></ul>{% endif %}{% render 'footer' %}`;
    const vars = { person, unsubscribe_url: "https://u.test/x" };
    const result = renderTemplate(email({ html }), vars, partials);
    expect(result.ok).toBe(true);
    const generated = result.ok ? result.output.text! : "";
    const converted = result.ok ? htmlToText(result.output.html!) : "";
    const words = (t: string) => t.replace(/\s+/g, " ").trim();
    expect(words(generated)).toBe(words(converted));
    expect(generated).toContain("ACME PRO");
    expect(generated).toContain("Unsubscribe [https://u.test/x]");
  });

  it("keeps person data as text (not escaped) and falls back when the template cannot be derived", () => {
    const result = renderTemplate(email({ html: "<p>{{ person.first_name }}</p>" }), { person: { ...person, first_name: "Tom & <Jerry>" } });
    expect(result.ok && result.output.text).toBe("Tom & <Jerry>");
    // Liquid inside an attribute other than a link: dropped from the derived text, the render still has one.
    const odd = renderTemplate(email({ html: '<p title="{{ person.plan }}">x</p>' }), { person });
    expect(odd.ok && odd.output.text).toBe("x");
  });
});
