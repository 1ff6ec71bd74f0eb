import type { TemplateContent } from "@/lib/messages/schema";

/**
 * The demo workspace's messages: a shared header and footer, and one template per channel
 * for the stories the demo data tells (the tariff calculator, the abandoned cart). Every one
 * renders for every demo person (lib/demo/messages.test.ts): absent traits have defaults.
 */

export const DEMO_PARTIALS: Record<string, string> = {
  header: `<div style="font-family:Inter,Arial,sans-serif;max-width:560px;margin:0 auto;padding:24px 24px 0">
  <p style="font-weight:700;font-size:18px;color:#4f46e5;margin:0 0 16px">Acme Fitness</p>
`,
  footer: `  <hr style="border:none;border-top:1px solid #e5e7eb;margin:24px 0 12px">
  <p style="color:#6b7280;font-size:12px;line-height:1.5;margin:0 0 24px">
    Acme Fitness · 1 Example Street, Berlin<br>
    <a href="{{ unsubscribe_url }}" style="color:#6b7280">Unsubscribe</a> · <a href="{{ preferences_url }}" style="color:#6b7280">Email preferences</a>
  </p>
</div>
`,
};

/** `group`: the demo subscription group (by name, server/demo/consent.ts) a marketing message belongs to. */
export const DEMO_TEMPLATES: { name: string; group?: string; content: TemplateContent }[] = [
  {
    name: "Tariff calculator reminder",
    group: "Product news",
    content: {
      channel: "email",
      subscriptionGroupId: null,
      subject: "{{ person.first_name | default: \"Hi\" }}, your tariff analysis is ready",
      preheader: "Three minutes, and you know which plan fits.",
      html: `{% render 'header' %}
  <p>Hi {{ person.first_name | default: "there" }},</p>
  <p>You opened the tariff calculator a few times but did not get to the result. We put together a short analysis for your goal{% if person.goal %} (<strong>{{ person.goal | replace: "_", " " }}</strong>){% endif %}.</p>
  <p><a href="https://acme.example/tariffs?utm_source=junction" style="display:inline-block;background:#4f46e5;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">See my analysis</a></p>
  <p>Prefer to talk? Join tomorrow's live call — we answer questions about plans.</p>
{% render 'footer' %}`,
      text: "",
    },
  },
  {
    name: "Live call invitation",
    content: {
      channel: "push",
      subscriptionGroupId: null,
      title: "Questions about plans?",
      body: "{{ person.first_name | default: \"Hi\" }}, join our live call tomorrow at 18:00 — we walk through the tariffs.",
      url: "https://acme.example/live",
      icon: "",
    },
  },
  {
    name: "Tariff analysis offer",
    content: {
      channel: "inapp",
      subscriptionGroupId: null,
      title: "Want a short analysis?",
      body: "You used the tariff calculator a few times. We can show you which plan fits your goal in two minutes.",
      buttonLabel: "Show me",
      buttonUrl: "https://acme.example/tariffs/analysis",
    },
  },
  {
    name: "Cart reminder",
    group: "SMS offers",
    content: {
      channel: "sms",
      subscriptionGroupId: null,
      text: "{{ person.first_name | default: \"Hi\" }}, your {{ event.properties.product | default: \"item\" }} is still in your cart: acme.example/cart Reply STOP to opt out.",
    },
  },
  {
    name: "Purchase to CRM",
    content: {
      channel: "webhook",
      subscriptionGroupId: null,
      body: `{
  "userId": {{ person.user_id | default: "" | json }},
  "email": {{ person.email | default: "" | json }},
  "event": {{ event.name | json }},
  "amount": {{ event.properties.amount | default: 0 | json }}
}
`,
    },
  },
];
