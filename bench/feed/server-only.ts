/**
 * `server-only` (Next.js's guard against server code in client bundles) throws when
 * imported outside Next.js; the bench imports services that carry it (segments, consent),
 * as vitest.config.ts does by alias. Import this first, then those services dynamically.
 */
import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, next) {
    if (specifier === "server-only") return { url: "data:text/javascript,export {};", shortCircuit: true };
    return next(specifier, context);
  },
});
