/**
 * `npm run worker`: the job queue and the change feed's consumers without the web server,
 * for more background capacity on other machines against the same Postgres (DATABASE_URL
 * must be set; the app's own process runs them too). Stops cleanly on SIGTERM / Ctrl-C.
 */
import { createDb } from "../server/db/client";
import { startBackground } from "../server/jobs/run";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("[junction worker] DATABASE_URL is not set: point it at the app's Postgres.");
  process.exit(1);
}
const db = createDb(url);
const background = await startBackground(db, url);
console.log("[junction worker] running: jobs and change feed consumers");
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await background.stop();
    await db.$disconnect();
    process.exit(0);
  });
}
