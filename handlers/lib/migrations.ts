/**
 * Applying and writing Prisma migrations without the native schema engine.
 *
 * One library for every caller: `npm run db:migrate` and `npm run db:migration:new`
 * (tools/prisma), `npm run dev`, the tests, and the data tier's migration Lambda
 * (handlers/migrate.ts), which bundles this file and ships the migration files as data.
 * It drives Prisma's own schema engine (wasm), so `_prisma_migrations` ends up exactly as
 * `prisma migrate deploy` would leave it — users with the native CLI can keep using it.
 *
 * @example Lambda (migrations embedded in the bundle, wasm shipped beside it):
 * ```ts
 * import { applyMigrations } from "./lib/migrations";
 * import migrations from "./generated/migrations.json"; // { migrations: [{ name, sql }], lock }
 * const { applied } = await applyMigrations({ connection: poolConfig, migrations });
 * ```
 * @example Script:
 * ```ts
 * const migrations = await loadMigrationsFromDir("prisma/migrations");
 * await applyMigrations({ connection: process.env.DATABASE_URL!, migrations });
 * ```
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { MigrationList, SchemaFilter } from "@prisma/schema-engine-wasm/schema_engine_bg";
import {
  type DatabaseConnection,
  SchemaEngineError,
  type WasmSource,
  withSchemaEngine,
} from "./schema-engine";

export { type DatabaseConnection, SchemaEngineError, type WasmSource } from "./schema-engine";

/** One migration directory: its name (e.g. `20251128000000_init`) and its `migration.sql`. */
export interface MigrationFile {
  name: string;
  sql: string;
}

/** A migrations folder as data: what a bundle embeds instead of reading a filesystem. */
export interface MigrationSet {
  /** Sorted by name (the timestamp prefix orders them), as Prisma applies them. */
  migrations: MigrationFile[];
  /** Content of `migration_lock.toml`, or null when the folder has none. */
  lock: string | null;
}

export interface MigrateOptions {
  /** The database: a `postgresql://` URL or a node-postgres pool config (e.g. from a secret). */
  connection: DatabaseConnection;
  migrations: MigrationSet;
  /** The engine's wasm (bytes, module or path). @default beside this module, then node_modules */
  wasm?: WasmSource;
  /** Receives the engine's log lines (JSON). @default discarded */
  log?: (line: string) => void;
}

export interface ApplyResult {
  /** Names of the migrations applied by this call, in order; empty when already up to date. */
  applied: string[];
}

export interface MigrationStatus {
  /** Whether `_prisma_migrations` exists. */
  hasMigrationsTable: boolean;
  /** In the folder, not yet applied. */
  pending: string[];
  /** Applied in the database, missing from the folder. */
  unknownInFolder: string[];
  /** Applied, but the file changed since (checksum mismatch). */
  edited: string[];
  /** Started and failed: `migrate deploy` refuses to continue until resolved. */
  failed: string[];
}

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };
/** A migration folder's name: 14-digit UTC timestamp, underscore, lowercase name. */
export const MIGRATION_NAME = /^[0-9]{14}_[a-z0-9_]+$/;
const LOCK_FILE = "migration_lock.toml";

/** Reads a Prisma migrations folder (`<name>/migration.sql` + `migration_lock.toml`). */
export async function loadMigrationsFromDir(dir: string): Promise<MigrationSet> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") {
        throw new SchemaEngineError(`The migrations folder ${dir} does not exist.`);
      }
      throw err;
    },
  );
  const migrations: MigrationFile[] = [];
  for (const entry of entries
    .filter((e) => e.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const file = join(dir, entry.name, "migration.sql");
    const sql = await readFile(file, "utf8").catch(() => {
      throw new SchemaEngineError(
        `${file} is missing: every migration folder needs a migration.sql.`,
      );
    });
    migrations.push({ name: entry.name, sql });
  }
  const lock = await readFile(join(dir, LOCK_FILE), "utf8").catch(() => null);
  return { migrations, lock };
}

/** Validates a set received as data (e.g. from a bundle) before the engine sees it. */
export function assertMigrationSet(set: MigrationSet): void {
  if (!set || !Array.isArray(set.migrations)) {
    throw new SchemaEngineError("migrations must be { migrations: [{ name, sql }], lock }.");
  }
  const seen = new Set<string>();
  for (const [i, m] of set.migrations.entries()) {
    if (typeof m?.name !== "string" || !MIGRATION_NAME.test(m.name)) {
      throw new SchemaEngineError(
        `migrations[${i}].name "${String(m?.name)}" must look like 20251128000000_init (14-digit timestamp, underscore, lowercase name).`,
      );
    }
    if (typeof m.sql !== "string")
      throw new SchemaEngineError(`migrations[${i}].sql (${m.name}) must be a string.`);
    if (seen.has(m.name))
      throw new SchemaEngineError(`migrations[${i}].name ${m.name} appears twice.`);
    seen.add(m.name);
  }
  if (set.lock !== null && typeof set.lock !== "string") {
    throw new SchemaEngineError(
      "migrations.lock must be the content of migration_lock.toml, or null.",
    );
  }
}

/**
 * The checksum Prisma stores in `_prisma_migrations.checksum` for a migration: the SHA-256 of
 * its `migration.sql`, hex. (Useful to compare a database with a folder without the engine.)
 */
export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

/**
 * One checksum of a whole set (names, SQL and lock file): changes whenever any migration is
 * added, removed, renamed or edited. The data tier keys its deploy-time invocation on it.
 */
export function migrationSetChecksum(set: MigrationSet): string {
  const hash = createHash("sha256");
  for (const m of [...set.migrations].sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(`${m.name}\0${migrationChecksum(m.sql)}\0`);
  }
  hash.update(`lock\0${set.lock ?? ""}`);
  return hash.digest("hex");
}

/** The engine's view of a folder; `baseDir` is only used in its messages. */
function toMigrationList(set: MigrationSet, baseDir = "prisma/migrations"): MigrationList {
  assertMigrationSet(set);
  return {
    baseDir,
    lockfile: { path: LOCK_FILE, content: set.lock },
    shadowDbInitScript: "",
    migrationDirectories: [...set.migrations]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((m) => ({
        path: m.name,
        migrationFile: { path: "migration.sql", content: { tag: "ok", value: m.sql } },
      })),
  };
}

/**
 * Applies every pending migration, in order, recording each in `_prisma_migrations` — what
 * `prisma migrate deploy` does. Idempotent: a second call applies nothing.
 *
 * Fails (SchemaEngineError with the Prisma code) when a migration's SQL fails (P3018: the row is
 * left marked failed, as with the CLI) or when a failed migration is already recorded (P3009:
 * resolve it with `prisma migrate resolve` or `markMigrationRolledBack`).
 */
export async function applyMigrations(options: MigrateOptions): Promise<ApplyResult> {
  const migrationsList = toMigrationList(options.migrations);
  return withSchemaEngine(options, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
    return { applied: out.appliedMigrationNames };
  });
}

/** Compares the database's migration history with the set, without changing anything. */
export async function migrationStatus(options: MigrateOptions): Promise<MigrationStatus> {
  const migrationsList = toMigrationList(options.migrations);
  return withSchemaEngine(options, async (engine) => {
    const out = await engine.diagnoseMigrationHistory({
      migrationsList,
      optInToShadowDatabase: false,
      filters: NO_FILTER,
    });
    const history = out.history;
    return {
      hasMigrationsTable: out.hasMigrationsTable,
      pending:
        history?.diagnostic === "databaseIsBehind" || history?.diagnostic === "historiesDiverge"
          ? history.unappliedMigrationNames
          : [],
      unknownInFolder:
        history?.diagnostic === "migrationsDirectoryIsBehind" ||
        history?.diagnostic === "historiesDiverge"
          ? history.unpersistedMigrationNames
          : [],
      edited: out.editedMigrationNames,
      failed: out.failedMigrationNames,
    };
  });
}

/** Marks a failed migration as rolled back (what `prisma migrate resolve --rolled-back` does). */
export async function markMigrationRolledBack(
  options: Omit<MigrateOptions, "migrations"> & { name: string },
): Promise<void> {
  await withSchemaEngine(options, (engine) =>
    engine.markMigrationRolledBack({ migrationName: options.name }),
  );
}

export interface NewMigrationOptions extends MigrateOptions {
  /** The Prisma schema to migrate to. */
  schema: { path: string; content: string };
  /** Suffix of the new folder name (lowercase, digits, `_`), e.g. `add_campaign_index`. */
  name: string;
  /** Create the migration even when the schema has no changes. @default false */
  draft?: boolean;
}

/**
 * A new migration taking the migrations' end state to `schema` — what
 * `prisma migrate dev --create-only` writes. The engine replays the migrations in a temporary
 * shadow database on the same server (created and dropped here, so the role needs CREATEDB)
 * and diffs it with the schema. Returns null when nothing changed (unless `draft`).
 * (The wasm engine's own `createMigration` refuses to build a PostgreSQL shadow database.)
 */
export async function createMigration(
  options: NewMigrationOptions & { now?: Date },
): Promise<MigrationFile | null> {
  if (!/^[a-z0-9_]{1,80}$/.test(options.name)) {
    throw new SchemaEngineError(
      `The migration name "${options.name}" must be 1-80 characters of a-z, 0-9 or _ (e.g. add_campaign_index).`,
    );
  }
  const sql = await diffMigrationsToSchema(options);
  if (sql === "" && !options.draft) return null;
  const name = `${timestamp(options.now ?? new Date())}_${options.name}`;
  const last = options.migrations.migrations
    .map((m) => m.name)
    .sort()
    .at(-1);
  if (last && name <= last) {
    throw new SchemaEngineError(
      `The new migration ${name} would sort before the existing ${last}; check the clock.`,
    );
  }
  return { name, sql: sql === "" ? "-- This is an empty migration.\n" : sql };
}

/** `20261128024700`: UTC, as Prisma names migration folders. */
function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/**
 * SQL from the migrations' end state (or an empty database) to `schema`, without a name or
 * folder: the drift check (`prisma migrate diff --from-migrations … --to-schema …`).
 * Empty string when they match.
 */
export async function diffMigrationsToSchema(
  options: MigrateOptions & { schema: { path: string; content: string }; fromEmpty?: boolean },
): Promise<string> {
  const from = options.fromEmpty
    ? ({ tag: "empty" } as const)
    : ({ tag: "migrations", ...toMigrationList(options.migrations) } as const);
  return withSchemaEngine(options, async (engine) => {
    const out = await engine.diff({
      from,
      to: { tag: "schemaDatamodel", files: [options.schema] },
      script: true,
      exitCode: null,
      filters: NO_FILTER,
    });
    const script = out.stdout ?? "";
    return /^\s*(-- This is an empty migration\.)?\s*$/.test(script) ? "" : script;
  });
}
