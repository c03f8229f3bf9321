import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { createLogger } from "../../handlers/lib/logger";
import { loadMigrationsFromDir, migrationSetChecksum } from "../../handlers/lib/migrations";
import {
  type ApplyEvent,
  createMigrateHandler,
  type MigrationReport,
  type ResolveReport,
  readTarget,
} from "../../handlers/migrate";
import { scramSha256Verifier } from "../../handlers/migration/app-role";
import { parseMigrateEvent } from "../../handlers/migration/event";
import type { SecretStore } from "../../handlers/migration/secret-store";
import { migrationsChecksum } from "../../infra/lib/migrations";
import { createTestDatabase, getTestDatabaseUrl, type TestDatabase } from "../support/database";

const MASTER_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-test-AbCdEf";
const APP_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:huntaze-api-test-db-app-XyZ";

/** A stand-in for Secrets Manager (values only); the database behind it is the real test server. */
class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  writes = 0;
  async read(id: string): Promise<string | undefined> {
    if (!this.values.has(id) && id !== APP_ARN) throw new Error(`no secret ${id}`);
    return this.values.get(id);
  }
  async write(id: string, value: string): Promise<void> {
    this.writes += 1;
    this.values.set(id, value);
  }
  json(id: string): Record<string, unknown> {
    return JSON.parse(this.values.get(id) ?? "null") as Record<string, unknown>;
  }
}

interface Scenario {
  db: TestDatabase;
  secrets: MemorySecrets;
  env: NodeJS.ProcessEnv;
  appUser: string;
  run(event?: ApplyEvent, migrationsDir?: string): Promise<MigrationReport>;
  /** What an operator's `aws lambda invoke --payload '{"resolve": …}'` does. */
  resolve(event: unknown): Promise<MigrationReport | ResolveReport>;
}

const scenarios: Scenario[] = [];

/** A fresh database, master secret = the test server's superuser, app user unique to the test. */
async function scenario(label: string): Promise<Scenario> {
  const db = await createTestDatabase(label);
  const url = new URL(db.url);
  const appUser = `mig_${randomBytes(4).toString("hex")}`;
  const secrets = new MemorySecrets();
  secrets.values.set(
    MASTER_ARN,
    JSON.stringify({
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    }),
  );
  const env = {
    DB_HOST: url.hostname,
    DB_PORT: url.port || "5432",
    DB_NAME: db.name,
    MASTER_SECRET_ARN: MASTER_ARN,
    DB_SECRET_ARN: APP_ARN,
    DB_APP_USERNAME: appUser,
  };
  const handler = (migrationsDir = "prisma/migrations") =>
    createMigrateHandler({
      env,
      secrets,
      migrationsDir,
      ssl: false,
      logger: createLogger({ level: "SILENT" }),
      authRetryDelayMs: 10,
    });
  const s: Scenario = {
    db,
    secrets,
    env,
    appUser,
    run: (event = {}, migrationsDir) => handler(migrationsDir)(event),
    resolve: (event) => handler()(event),
  };
  scenarios.push(s);
  return s;
}

async function asUser<T>(
  s: Scenario,
  credentials: { username: string; password: string },
  fn: (c: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({
    host: s.env.DB_HOST,
    port: Number(s.env.DB_PORT),
    database: s.db.name,
    user: credentials.username,
    password: credentials.password,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function asAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: await getTestDatabaseUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function asMaster<T>(s: Scenario, fn: (c: Client) => Promise<T>): Promise<T> {
  const master = JSON.parse(s.secrets.values.get(MASTER_ARN)!) as {
    username: string;
    password: string;
  };
  return asUser(s, master, fn);
}

/** `_prisma_migrations` rows of one migration, oldest first (null when the table does not exist). */
async function historyOf(
  s: Scenario,
  name: string,
): Promise<Array<{ finished: boolean; rolledBack: boolean }> | null> {
  return asMaster(s, async (c) => {
    const exists = await c.query(
      "SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS e",
    );
    if (!exists.rows[0].e) return null;
    const { rows } = await c.query(
      `SELECT finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS "rolledBack"
         FROM _prisma_migrations WHERE migration_name = $1 ORDER BY started_at`,
      [name],
    );
    return rows as Array<{ finished: boolean; rolledBack: boolean }>;
  });
}

function appCredentials(s: Scenario): { username: string; password: string } {
  const secret = s.secrets.json(APP_ARN);
  return { username: String(secret.username), password: String(secret.password) };
}

/** prisma/migrations copied to a temp dir, plus extra migrations. */
function migrationsWith(extra: Array<{ name: string; sql: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), "huntaze-migrations-"));
  cpSync("prisma/migrations", dir, { recursive: true });
  for (const m of extra) {
    mkdirSync(join(dir, m.name));
    writeFileSync(join(dir, m.name, "migration.sql"), m.sql);
  }
  return dir;
}

describe("the migration function (handlers/migrate.ts) on a real PostgreSQL", () => {
  const tempDirs: string[] = [];
  let shipped: string[];

  before(async () => {
    shipped = (await loadMigrationsFromDir("prisma/migrations")).migrations.map((m) => m.name);
  });

  after(async () => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    for (const s of scenarios) await s.db.drop();
    await asAdmin(async (c) => {
      for (const s of scenarios) {
        await c.query(`DROP ROLE IF EXISTS "${s.appUser}_clone"`);
        await c.query(`DROP ROLE IF EXISTS "${s.appUser}"`);
      }
    });
  });

  describe("first deploy, then a deploy with nothing new", () => {
    let s: Scenario;
    let first: MigrationReport;
    let second: MigrationReport;

    before(async () => {
      s = await scenario("migrate_twice");
      first = await s.run();
      second = await s.run();
    });

    it("applies every migration of prisma/migrations on the first run", () => {
      assert.deepEqual(first.applied, shipped);
      assert.ok(shipped.length >= 1);
    });

    it("applies nothing on the second run", () => {
      assert.deepEqual(second.applied, []);
      assert.equal(second.appUser, "unchanged");
      assert.equal(second.appSecretWritten, false);
    });

    it("reports the same checksum as the stack computes for its invocation", async () => {
      const set = await loadMigrationsFromDir("prisma/migrations");
      assert.equal(first.checksum, migrationSetChecksum(set));
      assert.equal(first.checksum, migrationsChecksum("prisma/migrations"));
    });

    it("creates the application user and stores it in the AWS rotation format, once", () => {
      assert.equal(first.appUser, "created");
      assert.equal(first.appSecretWritten, true);
      assert.equal(s.secrets.writes, 1, "the second run writes no new version");
      const secret = s.secrets.json(APP_ARN);
      assert.deepEqual(Object.keys(secret).sort(), [
        "dbname",
        "engine",
        "host",
        "masterarn",
        "password",
        "port",
        "username",
      ]);
      assert.equal(secret.engine, "postgres");
      assert.equal(secret.username, s.appUser);
      assert.equal(secret.host, s.env.DB_HOST);
      assert.equal(secret.port, Number(s.env.DB_PORT));
      assert.equal(secret.dbname, s.db.name);
      assert.equal(secret.masterarn, MASTER_ARN);
      assert.match(String(secret.password), /^[A-Za-z0-9_-]{43}$/);
    });

    it("lets the application user log in with the secret's password and read and write data", async () => {
      await asUser(s, appCredentials(s), async (c) => {
        const { rows } = await c.query("SELECT current_user AS who");
        assert.equal(rows[0].who, s.appUser);
        await c.query(
          `INSERT INTO "creators" ("handle", "display_name") VALUES ('mig_test', 'Migration test')`,
        );
        const count = await c.query(`SELECT count(*)::int AS n FROM "creators"`);
        assert.equal(count.rows[0].n, 1);
        await c.query(`DELETE FROM "creators" WHERE "handle" = 'mig_test'`);
      });
    });

    it("gives the application user no DDL and no access to Prisma's migration history", async () => {
      await asUser(s, appCredentials(s), async (c) => {
        await assert.rejects(c.query("CREATE TABLE intruder (id int)"), /permission denied/);
        await assert.rejects(c.query("SELECT * FROM _prisma_migrations"), /permission denied/);
        await assert.rejects(c.query(`DROP TABLE "creators"`), /must be owner/);
      });
    });

    it("stores a SCRAM verifier, never the password, as the role's password", async () => {
      const stored = await asAdmin(async (c) => {
        const { rows } = await c.query("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [
          s.appUser,
        ]);
        return String(rows[0].rolpassword);
      });
      assert.match(stored, /^SCRAM-SHA-256\$4096:/);
      assert.ok(!stored.includes(appCredentials(s).password));
    });
  });

  it("reports a broken migration as a failure naming it, and applies nothing after it", async () => {
    const s = await scenario("migrate_broken");
    const dir = migrationsWith([
      {
        name: "20991231000000_broken",
        sql: 'CREATE TABLE "half_done" (id int);\nSELECT * FROM "no_such_table";\n',
      },
    ]);
    tempDirs.push(dir);
    await assert.rejects(s.run({}, dir), (err: Error) => {
      assert.match(err.message, /20991231000000_broken/);
      assert.match(err.message, /P3018/);
      assert.match(err.message, /no_such_table/);
      return true;
    });
    const tables = await asUser(
      s,
      JSON.parse(s.secrets.values.get(MASTER_ARN)!) as { username: string; password: string },
      async (c) =>
        (
          await c.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = 'half_done'",
          )
        ).rowCount,
    );
    assert.equal(tables, 0, "the failed migration's statements were rolled back together");
    assert.equal(s.secrets.values.get(APP_ARN), undefined, "no app user bootstrapped on failure");
    // The next deploy refuses to continue past a failed migration, like `prisma migrate deploy`.
    await assert.rejects(s.run({}, dir), /P3009|failed/);
  });

  describe("recovering a failed migration with the resolve event (no SQL session in the VPC)", () => {
    const BROKEN = "20991231000000_add_notes";
    let s: Scenario;
    let brokenDir: string;
    let fixedDir: string;

    before(async () => {
      s = await scenario("migrate_resolve");
      brokenDir = migrationsWith([
        { name: BROKEN, sql: 'CREATE TABLE "notes" (id int);\nSELECT * FROM "no_such_table";\n' },
      ]);
      fixedDir = migrationsWith([
        { name: BROKEN, sql: 'CREATE TABLE "notes" ("id" SERIAL PRIMARY KEY, "body" TEXT);\n' },
      ]);
      tempDirs.push(brokenDir, fixedDir);
    });

    it("fails on the broken migration (P3018), then blocks every later deploy (P3009)", async () => {
      await assert.rejects(s.run({}, brokenDir), /P3018[\s\S]*20991231000000_add_notes/);
      await assert.rejects(s.run({}, fixedDir), /P3009[\s\S]*20991231000000_add_notes/);
      assert.deepEqual(await historyOf(s, BROKEN), [{ finished: false, rolledBack: false }]);
    });

    it("marks exactly that migration rolled back and reports what it did", async () => {
      const before = Date.now();
      const report = await s.resolve({ resolve: { rolledBack: BROKEN } });
      assert.deepEqual(Object.keys(report).sort(), [
        "action",
        "rolledBack",
        "rolledBackAt",
        "stillFailed",
      ]);
      const r = report as ResolveReport;
      assert.equal(r.action, "resolve");
      assert.equal(r.rolledBack, BROKEN);
      assert.deepEqual(r.stillFailed, []);
      assert.ok(Date.parse(r.rolledBackAt) >= before - 60_000, r.rolledBackAt);
      assert.deepEqual(await historyOf(s, BROKEN), [{ finished: false, rolledBack: true }]);
      for (const name of shipped) {
        assert.deepEqual(await historyOf(s, name), [{ finished: true, rolledBack: false }], name);
      }
    });

    it("lets the next deploy apply the fixed migration", async () => {
      const report = await s.run({}, fixedDir);
      assert.deepEqual(report.applied, [BROKEN]);
      assert.equal(report.appUser, "created", "the user bootstrap the failure skipped happens now");
      assert.deepEqual(await historyOf(s, BROKEN), [
        { finished: false, rolledBack: true },
        { finished: true, rolledBack: false },
      ]);
      await asUser(s, appCredentials(s), async (c) => {
        await c.query(`INSERT INTO "notes" ("body") VALUES ('after the resolve')`);
      });
    });

    it("refuses to resolve a migration that is not failed, saying what the table holds, and changes nothing", async () => {
      const refused: Array<[string, RegExp]> = [
        [
          BROKEN,
          /Migration 20991231000000_add_notes was applied successfully \(.+\); undo it with a new migration instead: only a failed migration can be marked rolled back \(no migration is failed\)\. Nothing was changed\./,
        ],
        [shipped[0]!, /was applied successfully/],
        [
          "20991231000001_typo",
          /Migration 20991231000001_typo is not in _prisma_migrations \(check the name in the deploy's P3018\/P3009 message\)/,
        ],
      ];
      for (const [name, message] of refused) {
        await assert.rejects(s.resolve({ resolve: { rolledBack: name } }), message);
      }
      assert.deepEqual(await historyOf(s, BROKEN), [
        { finished: false, rolledBack: true },
        { finished: true, rolledBack: false },
      ]);
      assert.deepEqual(await historyOf(s, shipped[0]!), [{ finished: true, rolledBack: false }]);
    });

    it("refuses a second resolve of a migration already rolled back", async () => {
      const t = await scenario("migrate_resolve_twice");
      const dir = migrationsWith([{ name: BROKEN, sql: 'SELECT * FROM "no_such_table";\n' }]);
      tempDirs.push(dir);
      await assert.rejects(t.run({}, dir), /P3018/);
      await t.resolve({ resolve: { rolledBack: BROKEN } });
      await assert.rejects(
        t.resolve({ resolve: { rolledBack: BROKEN } }),
        /Migration 20991231000000_add_notes is already marked rolled back \(.+\)/,
      );
    });

    it("refuses a resolve on a database where no migration ever ran", async () => {
      const t = await scenario("migrate_resolve_empty");
      await assert.rejects(
        t.resolve({ resolve: { rolledBack: BROKEN } }),
        /has no _prisma_migrations table, so no migration ever ran there\. Nothing was changed\./,
      );
      assert.equal(await historyOf(t, BROKEN), null);
    });
  });

  it("rejects a malformed event, naming the field, before it touches the database", async () => {
    const s = await scenario("migrate_bad_event");
    const cases: Array<[unknown, RegExp]> = [
      [
        { resolve: { applied: "20991231000000_x" } },
        /Event field "resolve\.applied" is not supported/,
      ],
      [
        { resolve: { rolledback: "20991231000000_x" } },
        /Unknown event field "resolve\.rolledback": the only resolve action is "resolve\.rolledBack"/,
      ],
      [{ resolve: {} }, /Event field "resolve\.rolledBack" is required/],
      [
        { resolve: { rolledBack: "x; DROP TABLE creators" } },
        /Event field "resolve\.rolledBack" must be a migration folder name such as 20261128000000_add_fan_index, not "x; DROP TABLE creators"/,
      ],
      [{ resolve: "20991231000000_x" }, /Event field "resolve" must be an object/],
      [
        { resolve: { rolledBack: "20991231000000_x" }, checksum: "0".repeat(64) },
        /"resolve" cannot be combined with "checksum"/,
      ],
      [
        { resolved: { rolledBack: "20991231000000_x" } },
        /Unknown event field "resolved": send \{\} or \{"checksum"/,
      ],
      [["resolve"], /The event must be a JSON object, not an array/],
      [{ checksum: 42 }, /Event field "checksum" must be the migrations' SHA-256/],
    ];
    for (const [event, message] of cases) {
      await assert.rejects(s.resolve(event), message, JSON.stringify(event));
    }
    assert.equal(await historyOf(s, shipped[0]!), null, "no typo turned into an apply");
  });

  it("reads {} (or no event) and the deploy's {checksum} as an apply, never as a resolve", () => {
    const checksum = migrationsChecksum("prisma/migrations");
    assert.deepEqual(parseMigrateEvent(undefined), { kind: "apply" });
    assert.deepEqual(parseMigrateEvent({}), { kind: "apply" });
    assert.deepEqual(parseMigrateEvent({ checksum }), { kind: "apply", checksum });
    assert.deepEqual(parseMigrateEvent({ resolve: { rolledBack: "20991231000000_x" } }), {
      kind: "resolve",
      rolledBack: "20991231000000_x",
    });
  });

  it("refuses a bundle whose migrations are not the ones the deploy planned", async () => {
    const s = await scenario("migrate_checksum");
    await assert.rejects(s.run({ checksum: "0".repeat(64) }), /not the ones the deploy planned/);
    const ok = await s.run({ checksum: migrationsChecksum("prisma/migrations") });
    assert.deepEqual(ok.applied, shipped);
  });

  it("grants the rotation's _clone user what the application user has, new tables included", async () => {
    const s = await scenario("migrate_clone");
    await s.run();
    // What AWS's alternating-users rotation function does on its first rotation: create the
    // clone and grant it the user's role if it does not exist, else only set its password (the
    // migration function has created it, with the role's statement limit).
    const clone = `${s.appUser}_clone`;
    const clonePassword = randomBytes(24).toString("base64url");
    const verifier = scramSha256Verifier(clonePassword);
    await asAdmin(async (c) => {
      const { rowCount } = await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [clone]);
      if (rowCount === 0) {
        await c.query(`CREATE ROLE "${clone}" WITH LOGIN PASSWORD '${verifier}'`);
        await c.query(`GRANT "${s.appUser}" TO "${clone}"`);
      } else {
        await c.query(`ALTER ROLE "${clone}" WITH PASSWORD '${verifier}'`);
      }
    });
    s.secrets.values.set(
      APP_ARN,
      JSON.stringify({ ...s.secrets.json(APP_ARN), username: clone, password: clonePassword }),
    );
    const dir = migrationsWith([
      {
        name: "20991231000000_add_notes",
        sql: 'CREATE TABLE "notes" ("id" SERIAL PRIMARY KEY, "body" TEXT NOT NULL);\n',
      },
    ]);
    tempDirs.push(dir);
    const report = await s.run({}, dir);
    assert.deepEqual(report.applied, ["20991231000000_add_notes"]);
    assert.equal(report.appUser, "unchanged");
    await asUser(s, { username: clone, password: clonePassword }, async (c) => {
      await c.query(`INSERT INTO "notes" ("body") VALUES ('from the clone')`);
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM "notes"`);
      assert.equal(rows[0].n, 1);
    });
    // Both users carry the statement limit on the server (no client SET or startup parameter,
    // which RDS Proxy would pin on or refuse).
    await asUser(s, { username: clone, password: clonePassword }, async (c) => {
      const { rows } = await c.query("SHOW statement_timeout");
      assert.equal(rows[0].statement_timeout, "4s");
    });
    const roles = await asAdmin(
      async (c) =>
        (
          await c.query(
            "SELECT rolname, rolconfig FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname",
            [[s.appUser, clone]],
          )
        ).rows,
    );
    assert.deepEqual(
      roles.map((r: { rolconfig: string[] }) => r.rolconfig),
      [
        ["statement_timeout=4000ms", "lock_timeout=2000ms"],
        ["statement_timeout=4000ms", "lock_timeout=2000ms"],
      ],
    );
  });

  it("restores the application user on a replaced instance and re-points the secret at it", async () => {
    const s = await scenario("migrate_restore");
    await s.run();
    const before = s.secrets.json(APP_ARN);
    // A new instance: the role is gone, and the secret still names the old host.
    await asAdmin(async (c) => {
      await c.query(`DROP DATABASE "${s.db.name}" WITH (FORCE)`);
      await c.query(`DROP ROLE "${s.appUser}"`);
      await c.query(`CREATE DATABASE "${s.db.name}"`);
    });
    s.secrets.values.set(APP_ARN, JSON.stringify({ ...before, host: "old-instance.example" }));
    const report = await s.run();
    assert.deepEqual(report.applied, shipped);
    assert.equal(report.appUser, "restored");
    assert.equal(report.appSecretWritten, true);
    const after = s.secrets.json(APP_ARN);
    assert.equal(after.host, s.env.DB_HOST);
    assert.equal(after.password, before.password, "the rotation's password is kept");
    await asUser(s, appCredentials(s), async (c) => {
      await c.query(`SELECT count(*) FROM "creators"`);
    });
  });

  it("names the missing environment variable", () => {
    assert.throws(
      () => readTarget({ DB_HOST: "h", DB_PORT: "5432", DB_NAME: "d" }),
      /Environment variable MASTER_SECRET_ARN is required/,
    );
    assert.throws(
      () =>
        readTarget({
          DB_HOST: "h",
          DB_PORT: "x",
          DB_NAME: "d",
          MASTER_SECRET_ARN: MASTER_ARN,
          DB_SECRET_ARN: APP_ARN,
          DB_APP_USERNAME: "u",
        }),
      /DB_PORT must be a TCP port/,
    );
  });
});
