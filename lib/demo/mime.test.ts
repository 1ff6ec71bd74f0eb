import MailComposer from "nodemailer/lib/mail-composer";
import type Mail from "nodemailer/lib/mailer";
import { describe, expect, it } from "vitest";
import { decodeBase64, decodeQuotedPrintable, decodeWords, parseMail, parseMailHeaders, parseParams } from "./mime";

/** What nodemailer puts on the wire for these options: the composer its SMTP transport uses, with SMTP's CRLF line ends. */
async function composed(options: Mail.Options): Promise<Uint8Array> {
  const built = (await new MailComposer(options).compile().build()).toString("latin1");
  return Uint8Array.from(built.replace(/\r?\n/g, "\r\n"), (c) => c.charCodeAt(0));
}

describe("reading what nodemailer sends", () => {
  it("multipart/alternative in quoted-printable: text, HTML, headers, encoded words, a folded subject", async () => {
    const raw = await composed({
      from: { name: "Acme Fitness — Ümlaut", address: "hello@acme.example" },
      to: "ada@example.com",
      subject: "Ada, your tariff analysis is ready ✓ — and this subject is long enough to be folded over lines",
      text: "Hällo Ada,\nsee you.",
      html: `<p>Hällo <b>Ada</b> = friend</p>${"x".repeat(120)}`,
      headers: { "List-Unsubscribe": "<https://junction.example/u/t0k3n>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
      messageId: "<delivery-1@junction.local>",
      date: new Date("2026-03-05T10:00:00Z"),
    });
    const mail = parseMail(raw);
    expect(mail.from).toBe("Acme Fitness — Ümlaut <hello@acme.example>");
    expect(mail.to).toBe("ada@example.com");
    expect(mail.subject).toBe("Ada, your tariff analysis is ready ✓ — and this subject is long enough to be folded over lines");
    expect(mail.messageId).toBe("<delivery-1@junction.local>");
    expect(mail.date?.toISOString()).toBe("2026-03-05T10:00:00.000Z");
    expect(mail.text).toBe("Hällo Ada,\r\nsee you.");
    expect(mail.html).toBe(`<p>Hällo <b>Ada</b> = friend</p>${"x".repeat(120)}`);
    expect(mail.attachments).toEqual([]);
    const names = mail.headers.map((h) => h.name);
    expect(names).toEqual(expect.arrayContaining(["List-Unsubscribe", "List-Unsubscribe-Post", "Message-ID", "Content-Type"]));
    expect(mail.headers.find((h) => h.name === "List-Unsubscribe")!.value).toBe("<https://junction.example/u/t0k3n>");
  });

  it("base64 bodies (mostly non-Latin text), HTML only, and attachments listed without their content", async () => {
    const greek = "Καλημέρα Άντα, η ανάλυσή σου είναι έτοιμη. ".repeat(20);
    const raw = await composed({
      from: "hello@acme.example",
      to: ["ada@example.com", "bo@example.com"],
      subject: "Ανάλυση",
      html: `<p>${greek}</p>`,
      attachments: [{ filename: "tariffs.csv", content: "plan,price\nbasic,10\n" }],
    });
    expect(new TextDecoder().decode(raw)).toContain("Content-Transfer-Encoding: base64");
    const mail = parseMail(raw);
    expect(mail.subject).toBe("Ανάλυση");
    expect(mail.to).toBe("ada@example.com, bo@example.com");
    expect(mail.html).toBe(`<p>${greek}</p>`);
    expect(mail.text).toBeNull();
    expect(mail.attachments).toEqual([{ filename: "tariffs.csv", contentType: "text/csv", size: 20 }]);
  });

  it("a plain 7bit text message, and only the headers when that is all that is asked", async () => {
    const raw = await composed({ from: "a@example.com", to: "b@example.com", subject: "Plain", text: "Just text." });
    expect(parseMail(raw)).toMatchObject({ text: "Just text.", html: null, subject: "Plain" });
    const head = parseMailHeaders(raw);
    expect(head).toMatchObject({ subject: "Plain", from: "a@example.com", to: "b@example.com" });
    expect(head).not.toHaveProperty("text");
  });
});

describe("the pieces", () => {
  it("quoted-printable: soft breaks, escapes, trailing spaces, a stray = kept", () => {
    expect(decodeQuotedPrintable("H=C3=A4llo =\r\nAda=3D  \r\nnext = line")).toBe("H\xc3\xa4llo Ada=\r\nnext = line");
  });

  it("base64 with line breaks and missing padding", () => {
    expect(decodeBase64("SGVs\r\nbG8")).toBe("Hello");
    expect(decodeBase64("")).toBe("");
  });

  it("encoded words: Q and B, any case, adjacent words joined, plain text between kept", () => {
    expect(decodeWords("=?UTF-8?Q?Hi_Ada=2C?= =?utf-8?b?4pyT?= done")).toBe("Hi Ada,✓ done");
    expect(decodeWords("=?ISO-8859-1?Q?caf=E9?= au lait")).toBe("café au lait");
    expect(decodeWords("=?unknown-charset?Q?abc?=")).toBe("abc");
    expect(decodeWords("no words here")).toBe("no words here");
  });

  it("content-type parameters, quoted or not", () => {
    expect(parseParams('Multipart/Alternative; boundary="--_a;b"; charset=utf-8')).toEqual({ value: "multipart/alternative", params: { boundary: "--_a;b", charset: "utf-8" } });
  });

  it("hand-written: LF line endings, a preamble, nested multiparts, 8-bit UTF-8 in a header, no closing delimiter", () => {
    const raw = [
      "Subject: Grüße",
      "From: Zoë <z@example.com>",
      'Content-Type: multipart/mixed; boundary="outer"',
      "",
      "This is a preamble.",
      "--outer",
      'Content-Type: multipart/alternative; boundary="inner"',
      "",
      "--inner",
      "Content-Type: text/plain; charset=iso-8859-1",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Gr=FC=DFe",
      "--inner",
      "Content-Type: text/html",
      "",
      "<p>Grüße</p>",
      "--inner--",
      "--outer",
      "Content-Type: image/png; name=dot.png",
      "Content-Transfer-Encoding: base64",
      "",
      "iVBORw0KGgo=",
    ].join("\n");
    const mail = parseMail(new TextEncoder().encode(raw));
    expect(mail).toMatchObject({ subject: "Grüße", from: "Zoë <z@example.com>", text: "Grüße", html: "<p>Grüße</p>" });
    expect(mail.attachments).toEqual([{ filename: "dot.png", contentType: "image/png", size: 8 }]);
  });

  it("nonsense does not throw: no headers, no boundary, an empty message", () => {
    expect(parseMail("")).toMatchObject({ subject: null, text: "", html: null });
    expect(parseMail("just a line")).toMatchObject({ text: "just a line" });
    expect(parseMail("Content-Type: multipart/mixed\r\n\r\nbody")).toMatchObject({ text: null, html: null });
  });
});
