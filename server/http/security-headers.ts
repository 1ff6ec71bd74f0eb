import { randomBytes } from "node:crypto";

/**
 * Security headers of every response in production, set by scripts/serve.ts. Scripts run
 * only with this response's nonce (Next.js reads it from the request's
 * Content-Security-Policy header and puts it on every script it renders) and what those
 * scripts load ('strict-dynamic'); nothing may frame the app; types are never sniffed.
 * Styles allow inline attributes (React's style props); everything else is same-origin.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

export const STATIC_SECURITY_HEADERS: Record<string, string> = {
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=()",
};
