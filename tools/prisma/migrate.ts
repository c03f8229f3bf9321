/**
 * Prisma migrations without the native engine (Prisma's schema engine as wasm):
 *
 *   npm run db:migrate                          apply pending migrations to $DATABASE_URL
 *   npm run db:migrate -- status                what is pending, failed or edited
 *   npm run db:migrate -- check                 fail if schema.prisma and the migrations differ
 *   npm run db:migration:new -- --name add_x    write prisma/migrations/<timestamp>_add_x/
 *
 * `new` and `check` replay the migrations in a temporary shadow database: on $DATABASE_URL's
 * server when set (its role needs CREATEDB), otherwise on a throwaway embedded PostgreSQL.
 * Users with the native engine can use `npx prisma migrate deploy|status|dev` instead: the
 * migrations folder and `_prisma_migrations` are the same.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import {
  applyMigrations,
  createMigration,
  diffMigrationsToSchema,
  loadMigrationsFromDir,
  migrationStatus,
} from "../../handlers/lib/migrations";
import { startEmbeddedPostgres } from "../dev/embedded-postgres";
import { usageError } from "../lib/errors";
import {
  MIGRATIONS_DIR,
  ROOT,
  readSchema,
  redactUrl,
  requireDatabaseUrl,
  runMain,
} from "./cli-support";

const USAGE = "usage: migrate [apply|status|check|new --name <name> [--draft]]";

async function withShadowServer<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const url = process.env.DATABASE_URL?.trim();
  if (url) return fn(url);
  process.stdout.write(
    "DATABASE_URL is not set: starting a throwaway PostgreSQL for the shadow database…\n",
  );
  const server = await startEmbeddedPostgres();
  try {
    return await fn(server.adminUrl);
  } finally {
    await server.stop();
  }
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      name: { type: "string" },
      draft: { type: "boolean", default: false },
      help: { type: "boolean" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const command = positionals[0] ?? "apply";
  const migrations = await loadMigrationsFromDir(MIGRATIONS_DIR);

  switch (command) {
    case "apply": {
      const url = requireDatabaseUrl("npm run db:migrate");
      process.stdout.write(
        `Applying ${migrations.migrations.length} migration(s) from prisma/migrations to ${redactUrl(url)}\n`,
      );
      const { applied } = await applyMigrations({ connection: url, migrations });
      process.stdout.write(
        applied.length === 0
          ? "Already up to date: no migration applied.\n"
          : `Applied: ${applied.join(", ")}\n`,
      );
      return 0;
    }
    case "status": {
      const url = requireDatabaseUrl("npm run db:migrate -- status");
      const status = await migrationStatus({ connection: url, migrations });
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      const clean =
        status.pending.length +
          status.failed.length +
          status.edited.length +
          status.unknownInFolder.length ===
        0;
      return clean ? 0 : 1;
    }
    case "check": {
      const sql = await withShadowServer(async (url) =>
        diffMigrationsToSchema({ connection: url, migrations, schema: await readSchema() }),
      );
      if (sql === "") {
        process.stdout.write("prisma/schema.prisma and prisma/migrations agree.\n");
        return 0;
      }
      process.stdout.write(
        `prisma/schema.prisma has changes no migration contains; run \`npm run db:migration:new -- --name <name>\`:\n\n${sql}\n`,
      );
      return 1;
    }
    case "new": {
      if (!values.name)
        throw usageError(`db:migration:new needs --name <name> (a-z, 0-9, _).\n${USAGE}`);
      const name = values.name;
      const created = await withShadowServer(async (url) =>
        createMigration({
          connection: url,
          migrations,
          schema: await readSchema(),
          name,
          draft: values.draft,
        }),
      );
      if (!created) {
        process.stdout.write(
          "No changes: prisma/schema.prisma matches the migrations (use --draft for an empty one).\n",
        );
        return 0;
      }
      const dir = join(MIGRATIONS_DIR, created.name);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "migration.sql"), created.sql);
      process.stdout.write(
        `Created ${relative(ROOT, join(dir, "migration.sql"))}. Review it, then \`npm run db:migrate\`.\n`,
      );
      return 0;
    }
    default:
      throw usageError(`Unknown command "${command}".\n${USAGE}`);
  }
}

if (process.argv[1] === __filename) runMain(main);
