/**
 * bench/templates: how fast messages are made and sent.
 *
 *   npx tsx bench/templates/run.ts [--runs 5] [--seconds 1] [--messages 2000]
 *
 * 1. Renders per second on one core of a typical email template — the demo's "Tariff
 *    calculator reminder" (subject, preheader, an HTML body with a header and footer
 *    partial, a generated text part) — for 1,000 different people, with the parse cached
 *    (as sends of one template version are), against the same renders parsing each time.
 * 2. SMTP sends per second to a local SMTP server (smtp-server, on this machine) through
 *    the pooled sender journeys use (5 connections), against one connection per message
 *    (the settings page's test send) and against nodemailer building the same messages with
 *    no network at all (the floor).
 * Medians of `runs` runs.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import nodemailer from "nodemailer";
import { DEMO_PARTIALS, DEMO_TEMPLATES } from "../../lib/demo/messages";
import { renderTemplate } from "../../lib/messages/render";
import type { SmtpSettings } from "../../lib/channels/schema";
import { closeSmtpPools, sendSmtp, sendSmtpPooled, type EmailMessage } from "../../server/channels/providers/smtp";
import { startSmtpSink } from "../../server/test/smtp-sink";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, seconds: { type: "string", default: "1" }, messages: { type: "string", default: "2000" } } });
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const MESSAGES = Number(values.messages);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const template = DEMO_TEMPLATES.find((t) => t.name === "Tariff calculator reminder")!.content;
const GOALS = ["lose_weight", "build_muscle", "run_faster", "sleep_better"];
const people = Array.from({ length: 1_000 }, (_, i) => ({
  person: { user_id: `u-${i}`, email: `person${i}@example.com`, first_name: i % 7 === 0 ? undefined : `Name${i}`, goal: GOALS[i % 4], plan: "pro" },
  event: { name: "feature_used", properties: { feature: "tariff_calculator" }, timestamp: "2026-11-25T12:00:00.000Z" },
  unsubscribe_url: `https://junction.example/preferences/token-${i}?unsubscribe=1`,
  preferences_url: `https://junction.example/preferences/token-${i}`,
}));

function rendersPerSecond(fresh: boolean): number {
  let n = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 50; i++, n++) {
      const vars = people[n % people.length]!;
      // A fresh parse: a one-character change to the source makes the cache miss every time.
      const content = fresh && template.channel === "email" ? { ...template, subject: `${template.subject}${n}`, html: `${template.html}<!-- ${n} -->` } : template;
      const result = renderTemplate(content, vars as never, DEMO_PARTIALS);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
    }
  }
  return n / ((performance.now() - started) / 1000);
}

function message(i: number): EmailMessage {
  const rendered = renderTemplate(template, people[i % people.length] as never, DEMO_PARTIALS);
  if (!rendered.ok) throw new Error("render");
  return {
    from: { name: "Acme Fitness", address: "hello@acme.test" },
    to: `person${i}@example.com`,
    subject: rendered.output.subject!,
    html: rendered.output.html,
    text: rendered.output.text,
    headers: { "List-Unsubscribe": `<https://junction.example/api/v1/unsubscribe/t${i}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
    messageId: `<bench-${i}@acme.test>`,
  };
}

async function main() {
  console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);

  const cached: number[] = [];
  const fresh: number[] = [];
  rendersPerSecond(false); // warm up
  for (let r = 0; r < RUNS; r++) {
    cached.push(rendersPerSecond(false));
    fresh.push(rendersPerSecond(true));
  }
  console.log(`renders/s, parse cached: median ${fmt(median(cached))}  (runs: ${cached.map(fmt).join(", ")})`);
  console.log(`renders/s, parsed each time: median ${fmt(median(fresh))}  → cache ×${(median(cached) / median(fresh)).toFixed(1)}`);

  const sink = await startSmtpSink({ user: "junction", password: "bench-password-1" });
  const settings: SmtpSettings = { host: "127.0.0.1", port: sink.port, security: "none", user: "junction", pool: true, senders: [{ name: "Acme", address: "hello@acme.test" }] };
  const messages = Array.from({ length: MESSAGES }, (_, i) => message(i));
  const local = { allowPrivate: true };

  async function timed(label: string, count: number, send: (m: EmailMessage) => Promise<{ ok: boolean; message: string }>, concurrency: number): Promise<number> {
    const before = sink.received.length;
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const outcome = await send(messages[next++ % messages.length]!);
          if (!outcome.ok) throw new Error(`${label}: ${outcome.message}`);
        }
      }),
    );
    const perSecond = count / ((performance.now() - started) / 1000);
    if (sink.received.length - before !== count && label !== "floor") throw new Error(`${label}: ${sink.received.length - before} of ${count} arrived`);
    return perSecond;
  }

  const stream = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const pooled: number[] = [];
  const single: number[] = [];
  const floor: number[] = [];
  await timed("pooled", 200, (m) => sendSmtpPooled(settings, "bench-password-1", m, local), 20); // warm up
  for (let r = 0; r < RUNS; r++) {
    floor.push(await timed("floor", MESSAGES, async (m) => (await stream.sendMail(m), { ok: true, message: "" }), 20));
    pooled.push(await timed("pooled", MESSAGES, (m) => sendSmtpPooled(settings, "bench-password-1", m, local), 20));
    single.push(await timed("single", Math.min(MESSAGES, 300), (m) => sendSmtp({ ...settings, pool: false }, "bench-password-1", m, local), 20));
  }
  console.log(`SMTP sends/s to a local server, pooled (5 connections, 20 in flight): median ${fmt(median(pooled))}  (runs: ${pooled.map(fmt).join(", ")})`);
  console.log(`SMTP sends/s, one connection per message: median ${fmt(median(single))}  → pool ×${(median(pooled) / median(single)).toFixed(1)}`);
  console.log(`messages built/s with no network (nodemailer stream transport): median ${fmt(median(floor))}  → pooled SMTP is ${((median(pooled) / median(floor)) * 100).toFixed(0)}% of that`);
  closeSmtpPools();
  await sink.close();
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
