import { createHmac, hkdfSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { newMasterKey, parseKeyring } from "@/server/channels/credentials";
import { linksFor, signLinkToken, verifyLinkToken, type LinkClaims } from "./links";

const claims: LinkClaims = { workspaceId: "ws_1", profileId: "prof_1", groupId: "grp_news", channel: "email" };
const keyring = parseKeyring(newMasterKey());

/** Flips one character of `text` at `at` to another of the same alphabet. */
function flip(text: string, at: number): string {
  const c = text[at]!;
  return text.slice(0, at) + (c === "A" ? "B" : "A") + text.slice(at + 1);
}

describe("signed consent links", () => {
  it("a token says who and which group, and nothing else (no email, no name)", () => {
    const token = signLinkToken(keyring, claims);
    expect(verifyLinkToken(keyring, token)).toEqual(claims);
    const [, payload] = token.split(".");
    expect(JSON.parse(Buffer.from(payload!, "base64url").toString("utf8"))).toEqual([1, "ws_1", "prof_1", "grp_news", "email"]);
    expect(token).toMatch(/^[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    // URL-safe as it is: nothing to escape in a path.
    expect(encodeURIComponent(token)).toBe(token);
  });

  it("a message without a group links to its channel", () => {
    const token = signLinkToken(keyring, { ...claims, groupId: null, channel: "sms" });
    expect(verifyLinkToken(keyring, token)).toEqual({ ...claims, groupId: null, channel: "sms" });
  });

  it("any change to the token is refused: the claims, the signature, the key id, cut short or extended", () => {
    const token = signLinkToken(keyring, claims);
    const [keyId, payload, signature] = token.split(".") as [string, string, string];
    for (let i = 0; i < payload.length; i += 7) expect(verifyLinkToken(keyring, `${keyId}.${flip(payload, i)}.${signature}`), `claims byte ${i}`).toBeNull();
    for (let i = 0; i < signature.length; i += 5) expect(verifyLinkToken(keyring, `${keyId}.${payload}.${flip(signature, i)}`), `signature byte ${i}`).toBeNull();
    expect(verifyLinkToken(keyring, `${"0".repeat(8)}.${payload}.${signature}`)).toBeNull();
    expect(verifyLinkToken(keyring, token.slice(0, -1))).toBeNull();
    expect(verifyLinkToken(keyring, `${token}A`)).toBeNull();
    expect(verifyLinkToken(keyring, `${keyId}.${payload}`)).toBeNull();
    for (const junk of ["", ".", "..", "x".repeat(5000), "%00", `${token}.${signature}`]) expect(verifyLinkToken(keyring, junk), junk.slice(0, 20)).toBeNull();
  });

  it("another spelling of the same signature is refused: the last character's spare bits are part of the link too", () => {
    const token = signLinkToken(keyring, claims);
    const last = token.at(-1)!;
    // base64url's last character of 32 bytes carries 4 bits; its lowest 2 bits are spare.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(Buffer.from(token.slice(-43).slice(0, -1) + twin, "base64url")).toEqual(Buffer.from(token.slice(-43), "base64url"));
    expect(verifyLinkToken(keyring, token.slice(0, -1) + twin)).toBeNull();
    expect(verifyLinkToken(keyring, token)).toEqual(claims);
  });

  it("another workspace's (or person's) claims under the same signature are refused: a link cannot be re-pointed", () => {
    const token = signLinkToken(keyring, claims);
    const [keyId, , signature] = token.split(".") as [string, string, string];
    const other = Buffer.from(JSON.stringify([1, "ws_2", "prof_1", "grp_news", "email"])).toString("base64url");
    expect(verifyLinkToken(keyring, `${keyId}.${other}.${signature}`)).toBeNull();
    const otherPerson = Buffer.from(JSON.stringify([1, "ws_1", "prof_2", "grp_news", "email"])).toString("base64url");
    expect(verifyLinkToken(keyring, `${keyId}.${otherPerson}.${signature}`)).toBeNull();
  });

  it("a token made with another master key is refused; after a rotation, old links work while the old key is still listed", () => {
    const old = parseKeyring(newMasterKey());
    const token = signLinkToken(old, claims);
    expect(verifyLinkToken(keyring, token)).toBeNull();
    const rotating = parseKeyring(`${newMasterKey()},${[...old.byId.values()][0]!.toString("base64")}`);
    expect(verifyLinkToken(rotating, token)).toEqual(claims);
    // New links are made with the new key.
    expect(signLinkToken(rotating, claims).split(".")[0]).toBe(rotating.current.id);
  });

  /** Signs like signLinkToken: HMAC-SHA256 under a key derived from the master key (HKDF-SHA256, this use's own label). */
  const signRaw = (payload: string) => {
    const key = Buffer.from(hkdfSync("sha256", keyring.current.key, Buffer.alloc(0), "junction/consent-links/v1", 32));
    const signed = `${keyring.current.id}.${payload}`;
    return `${signed}.${createHmac("sha256", key).update(signed).digest("base64url")}`;
  };

  it("the signature is HMAC-SHA256 under a key derived from the master key, never the master key itself", () => {
    const token = signLinkToken(keyring, claims);
    const [keyId, payload, signature] = token.split(".") as [string, string, string];
    expect(signRaw(payload)).toBe(token);
    expect(signature).not.toBe(createHmac("sha256", keyring.current.key).update(`${keyId}.${payload}`).digest("base64url"));
  });

  it("well-signed claims of the wrong shape are refused (another version, an empty id, an unknown channel, not JSON)", () => {
    expect(verifyLinkToken(keyring, signRaw(Buffer.from(JSON.stringify([1, "ws_1", "prof_1", null, "email"])).toString("base64url")))).not.toBeNull();
    const bad = [[2, "ws_1", "prof_1", null, "email"], [1, "", "prof_1", null, "email"], [1, "ws_1", "prof_1", null, "fax"], [1, "ws_1", "p".repeat(101), null, "email"], { w: "ws_1" }];
    for (const value of bad) expect(verifyLinkToken(keyring, signRaw(Buffer.from(JSON.stringify(value)).toString("base64url"))), JSON.stringify(value)).toBeNull();
    expect(verifyLinkToken(keyring, signRaw(Buffer.from("not json").toString("base64url")))).toBeNull();
  });

  it("links: the confirmation page, the preference page and the one-click address, under the app's address", () => {
    const links = linksFor("abc.def.ghi", "https://junction.example.com");
    expect(links).toEqual({
      unsubscribeUrl: "https://junction.example.com/preferences/abc.def.ghi?unsubscribe=1",
      preferencesUrl: "https://junction.example.com/preferences/abc.def.ghi",
      oneClickUrl: "https://junction.example.com/api/v1/unsubscribe/abc.def.ghi",
    });
  });
});
