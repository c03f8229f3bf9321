/**
 * Prisma CLI configuration (Prisma 7 reads the datasource URL here, not from the schema).
 *
 * This project generates the client with `npm run generate` and applies migrations with
 * `npm run db:migrate` (Prisma's schema engine as wasm: no native binary to download). Users who
 * have the native engine can keep using `npx prisma migrate deploy` / `migrate dev` /
 * `db seed`: they read this file. DATABASE_URL is only needed by those commands.
 */
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: {
    path: "prisma/migrations",
    seed: "node tools/bin/ts-run.js tools/prisma/seed.ts",
  },
  ...(process.env.DATABASE_URL ? { datasource: { url: process.env.DATABASE_URL } } : {}),
});
