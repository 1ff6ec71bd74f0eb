import { defineConfig } from "prisma/config";

// The CLI reads the connection from here (Prisma 7 removed `url` from the schema).
// `prisma generate` needs no database, so a placeholder is fine when DATABASE_URL is unset.
// Migrations are applied by `npm run db:migrate` (scripts/migrate.ts), see DEVELOPERS.md.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: {
    url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/junction",
  },
});
