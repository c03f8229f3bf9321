/**
 * `prisma migrate resolve --rolled-back <name>`, from inside the VPC.
 *
 * A migration whose SQL fails stays in `_prisma_migrations` as failed (P3018), and every later run
 * refuses to continue (P3009) until the row is marked rolled back. The database is private, so the
 * Prisma CLI cannot reach it; the migration function can. This marks exactly the named migration,
 * and only when it is failed right now: a typo, a migration that applied, or one already resolved
 * is refused with what the table actually says.
 */
import type pg from "pg";
import { markMigrationRolledBack, type WasmSource } from "../lib/migrations";
import {
  connectAsMaster,
  MigrationRunError,
  type MigrationTarget,
  poolConfig,
  type RunMigrationsOptions,
} from "./run";
import type { SecretStore } from "./secret-store";

export interface ResolveOptions {
  target: MigrationTarget;
  secrets: SecretStore;
  ssl: RunMigrationsOptions["ssl"];
  /** The failed migration to mark rolled back. */
  rolledBack: string;
  wasm?: WasmSource;
  /** @default 5000 */
  authRetryDelayMs?: number;
}

/** What the resolve did: the answer `aws lambda invoke` writes to its output file. */
export interface ResolveReport {
  action: "resolve";
  /** The migration now marked rolled back. */
  rolledBack: string;
  /** `_prisma_migrations.rolled_back_at` of its row, ISO 8601. */
  rolledBackAt: string;
  /** Migrations still failed (each needs its own resolve before a deploy can apply anything). */
  stillFailed: string[];
}

/** Prisma's history table, in the schema the engine uses (no `schema` in the connection: public). */
const HISTORY = 'public."_prisma_migrations"';

interface HistoryRow {
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

async function hasHistory(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ t: string | null }>(
    "SELECT to_regclass('public._prisma_migrations')::text AS t",
  );
  return rows[0]?.t != null;
}

/** What Prisma counts as failed: started, neither finished nor rolled back. */
async function failedMigrations(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ migration_name: string }>(
    `SELECT migration_name FROM ${HISTORY} WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at`,
  );
  return rows.map((r) => r.migration_name);
}

async function refusal(client: pg.Client, name: string, failed: string[]): Promise<string> {
  const others = failed.length > 0 ? `failed now: ${failed.join(", ")}` : "no migration is failed";
  const { rows } = await client.query<HistoryRow>(
    `SELECT finished_at, rolled_back_at FROM ${HISTORY} WHERE migration_name = $1 ORDER BY started_at DESC LIMIT 1`,
    [name],
  );
  const last = rows[0];
  const state = !last
    ? "is not in _prisma_migrations (check the name in the deploy's P3018/P3009 message)"
    : last.finished_at
      ? `was applied successfully (${last.finished_at.toISOString()}); undo it with a new migration instead`
      : `is already marked rolled back (${last.rolled_back_at?.toISOString()})`;
  return `Migration ${name} ${state}: only a failed migration can be marked rolled back (${others}). Nothing was changed.`;
}

export async function resolveRolledBack(options: ResolveOptions): Promise<ResolveReport> {
  const { target, rolledBack: name } = options;
  const { client, master } = await connectAsMaster(options);
  try {
    if (!(await hasHistory(client))) {
      throw new MigrationRunError(
        `Migration ${name} cannot be marked rolled back: ${target.database} has no _prisma_migrations table, so no migration ever ran there. Nothing was changed.`,
      );
    }
    const failed = await failedMigrations(client);
    if (!failed.includes(name)) {
      throw new MigrationRunError(await refusal(client, name, failed));
    }
    // Prisma's own engine writes the row, exactly as the CLI's resolve would.
    await markMigrationRolledBack({
      connection: poolConfig(target, master, options.ssl),
      name,
      wasm: options.wasm,
    });
    const { rows } = await client.query<{ rolled_back_at: Date }>(
      `SELECT rolled_back_at FROM ${HISTORY} WHERE migration_name = $1 AND rolled_back_at IS NOT NULL ORDER BY rolled_back_at DESC LIMIT 1`,
      [name],
    );
    const rolledBackAt = rows[0]?.rolled_back_at;
    if (!rolledBackAt) {
      throw new MigrationRunError(
        `Prisma's engine reported success but ${name} is not marked rolled back in _prisma_migrations.`,
      );
    }
    return {
      action: "resolve",
      rolledBack: name,
      rolledBackAt: rolledBackAt.toISOString(),
      stillFailed: await failedMigrations(client),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}
