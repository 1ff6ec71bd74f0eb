/**
 * `npm run secrets:rotate`: re-encrypts every provider secret under the first key of
 * JUNCTION_SECRET_KEY. Rotate like this: put the new key first and keep the old one after
 * it (JUNCTION_SECRET_KEY="new,old"), restart the app, run this, then drop the old key.
 */
import { createDb } from "../server/db/client";
import { SecretKeyError } from "../server/channels/credentials";
import { masterKeyring, rotateSecrets } from "../server/channels/secrets";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL must point at Junction's database.");
  process.exit(1);
}
let keyring;
try {
  keyring = masterKeyring();
} catch (error) {
  console.error(error instanceof SecretKeyError ? error.message : error);
  process.exit(1);
}
const db = createDb(url);
try {
  const { rotated, unreadable } = await rotateSecrets(db, { keyring });
  console.log(`re-encrypted ${rotated} secret${rotated === 1 ? "" : "s"} under key ${keyring.current.id}`);
  if (unreadable.length > 0) {
    const keys = [...new Set(unreadable.map((u) => u.keyId))].join(", ");
    console.error(`${unreadable.length} secret(s) are under key(s) ${keys}, which JUNCTION_SECRET_KEY does not list: add those keys after the current one and run this again.`);
    process.exitCode = 1;
  }
} finally {
  await db.$disconnect();
}
