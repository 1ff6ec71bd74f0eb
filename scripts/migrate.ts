import { migrate } from "../server/db/migrate";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set. `npm run dev` migrates the embedded database by itself.");
  process.exit(1);
}
const result = await migrate(url, { log: (line) => console.log(line) });
console.log(
  `migrations: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`,
);
