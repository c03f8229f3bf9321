import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Client } from "pg";
import {
  applyMigrations,
  assertMigrationSet,
  createMigration,
  diffMigrationsToSchema,
  loadMigrationsFromDir,
  type MigrationSet,
  markMigrationRolledBack,
  migrationChecksum,
  migrationSetChecksum,
  migrationStatus,
  SchemaEngineError,
} from "../../handlers/lib/migrations";
import { toPoolConfig, wasmCandidates } from "../../handlers/lib/schema-engine";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { withClient } from "./helpers";

const schema = { path: "schema.prisma", content: readFileSync("prisma/schema.prisma", "utf8") };

describe("migrations library (Prisma's wasm schema engine)", () => {
  let set: MigrationSet;
  let db: TestDatabase;

  before(async () => {
    set = await loadMigrationsFromDir("prisma/migrations");
    db = await createTestDatabase("migrations");
  });
  after(() => db.drop());

  it("loads the migrations folder as data, sorted, with its lock file", () => {
    assert.ok(set.migrations.length >= 1);
    assert.deepEqual(
      set.migrations.map((m) => m.name),
      [...set.migrations.map((m) => m.name)].sort(),
    );
    assert.match(set.lock ?? "", /provider = "postgresql"/);
    assert.match(set.migrations[0].sql, /CREATE TABLE "fans"/);
  });

  it("applies every migration once, then nothing on a second run", async () => {
    const first = await applyMigrations({ connection: db.url, migrations: set });
    assert.deepEqual(
      first.applied,
      set.migrations.map((m) => m.name),
    );
    const second = await applyMigrations({ connection: db.url, migrations: set });
    assert.deepEqual(second.applied, []);
  });

  it("records _prisma_migrations rows as prisma migrate deploy does (SHA-256 checksum of migration.sql, finished)", async () => {
    const rows = await withClient(
      db.url,
      async (c) =>
        (
          await c.query(
            "SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name",
          )
        ).rows,
    );
    assert.equal(rows.length, set.migrations.length);
    for (const [i, row] of rows.entries()) {
      assert.equal(row.migration_name, set.migrations[i].name);
      assert.equal(row.checksum, migrationChecksum(set.migrations[i].sql));
      assert.ok(row.finished_at instanceof Date);
      assert.equal(row.rolled_back_at, null);
      assert.equal(row.applied_steps_count, 1);
    }
  });

  it("reports a database in sync with the folder as clean", async () => {
    const status = await migrationStatus({ connection: db.url, migrations: set });
    assert.deepEqual(status, {
      hasMigrationsTable: true,
      pending: [],
      unknownInFolder: [],
      edited: [],
      failed: [],
    });
  });

  it("reports pending migrations on an empty database", async () => {
    const empty = await createTestDatabase("migrations_empty");
    try {
      const status = await migrationStatus({ connection: empty.url, migrations: set });
      assert.equal(status.hasMigrationsTable, false);
      assert.deepEqual(
        status.pending,
        set.migrations.map((m) => m.name),
      );
    } finally {
      await empty.drop();
    }
  });

  it("keeps prisma/schema.prisma and prisma/migrations in agreement (no drift)", async () => {
    assert.equal(await diffMigrationsToSchema({ connection: db.url, migrations: set, schema }), "");
    assert.equal(
      await createMigration({ connection: db.url, migrations: set, schema, name: "nothing" }),
      null,
    );
  });

  it("writes a new migration's SQL from a schema change, named with a UTC timestamp", async () => {
    const changed = {
      ...schema,
      content: schema.content.replace("model Creator {", "model Creator {\n  bio String?"),
    };
    const created = await createMigration({
      connection: db.url,
      migrations: set,
      schema: changed,
      name: "add_bio",
      now: new Date("2099-01-02T03:04:05Z"),
    });
    assert.equal(created?.name, "20990102030405_add_bio");
    assert.match(created?.sql ?? "", /ALTER TABLE "creators" ADD COLUMN\s+"bio" TEXT/);
    // The shadow database used for the diff is gone.
    const leftovers = await withClient(
      db.url,
      async (c) =>
        (
          await c.query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'",
          )
        ).rows,
    );
    assert.deepEqual(leftovers, []);
  });

  it("applies a migration whose SQL has semicolons inside a function body and a string as one script", async () => {
    const extended: MigrationSet = {
      ...set,
      migrations: [
        ...set.migrations,
        {
          name: "29990101000000_plpgsql",
          sql: "CREATE FUNCTION huntaze_answer() RETURNS int AS $$ BEGIN RETURN 42; END; $$ LANGUAGE plpgsql;\nCREATE TABLE t_semicolon (v text DEFAULT 'a;b');",
        },
      ],
    };
    const { applied } = await applyMigrations({ connection: db.url, migrations: extended });
    assert.deepEqual(applied, ["29990101000000_plpgsql"]);
    const [{ answer }] = await withClient(
      db.url,
      async (c) => (await c.query("SELECT huntaze_answer() AS answer")).rows,
    );
    assert.equal(answer, 42);
  });

  it("fails a broken migration with P3018, keeps none of its statements, then refuses to continue (P3009) until it is resolved", async () => {
    const broken = await createTestDatabase("migrations_broken");
    try {
      const withBroken: MigrationSet = {
        ...set,
        migrations: [
          ...set.migrations,
          {
            name: "29990101000001_broken",
            sql: "CREATE TABLE half_done (x int);\nSELECT * FROM no_such_table;",
          },
        ],
      };
      await assert.rejects(
        applyMigrations({ connection: broken.url, migrations: withBroken }),
        (err: unknown) => {
          assert.ok(err instanceof SchemaEngineError);
          assert.equal(err.code, "P3018");
          assert.match(err.message, /29990101000001_broken/);
          return true;
        },
      );
      const tables = await withClient(
        broken.url,
        async (c) => (await c.query("SELECT to_regclass('half_done') AS t")).rows,
      );
      assert.equal(tables[0].t, null);
      await assert.rejects(
        applyMigrations({ connection: broken.url, migrations: withBroken }),
        (err: unknown) => {
          assert.ok(err instanceof SchemaEngineError);
          assert.equal(err.code, "P3009");
          return true;
        },
      );
      assert.deepEqual(
        (await migrationStatus({ connection: broken.url, migrations: withBroken })).failed,
        ["29990101000001_broken"],
      );
      // Resolved (marked rolled back) and fixed, it applies.
      await markMigrationRolledBack({ connection: broken.url, name: "29990101000001_broken" });
      const fixed: MigrationSet = {
        ...set,
        migrations: [
          ...set.migrations,
          { name: "29990101000001_broken", sql: "CREATE TABLE half_done (x int);" },
        ],
      };
      assert.deepEqual(
        (await applyMigrations({ connection: broken.url, migrations: fixed })).applied,
        ["29990101000001_broken"],
      );
    } finally {
      await broken.drop();
    }
  });

  it("rejects migration sets with a bad name, a duplicate or a missing SQL, naming the entry", () => {
    assert.throws(
      () => assertMigrationSet({ migrations: [{ name: "init", sql: "" }], lock: null }),
      /migrations\[0\]\.name "init" must look like 20251128000000_init/,
    );
    assert.throws(
      () =>
        assertMigrationSet({
          migrations: [
            { name: "20260101000000_a", sql: "" },
            { name: "20260101000000_a", sql: "" },
          ],
          lock: null,
        }),
      /appears twice/,
    );
    assert.throws(
      () => assertMigrationSet({ migrations: [{ name: "20260101000000_a" } as never], lock: null }),
      /sql \(20260101000000_a\) must be a string/,
    );
  });

  it("gives the whole set one checksum that changes with any file", () => {
    const base = migrationSetChecksum(set);
    assert.equal(base, migrationSetChecksum({ ...set, migrations: [...set.migrations].reverse() }));
    const edited = {
      ...set,
      migrations: set.migrations.map((m) => ({ ...m, sql: `${m.sql}\n-- edit` })),
    };
    assert.notEqual(base, migrationSetChecksum(edited));
    assert.notEqual(base, migrationSetChecksum({ ...set, lock: `${set.lock}#` }));
  });

  it("reports an unreachable database as an engine error, not a crash", async () => {
    await assert.rejects(
      applyMigrations({ connection: "postgresql://nobody:x@127.0.0.1:1/none", migrations: set }),
      SchemaEngineError,
    );
  });

  it("accepts a node-postgres pool config (e.g. built from a secret) as well as a URL", async () => {
    const { pool } = toPoolConfig(db.url);
    assert.deepEqual((await applyMigrations({ connection: pool, migrations: set })).applied, []);
  });

  it("turns ?schema= and sslmode into pool settings (adapter-pg ignores ?schema=)", () => {
    const { pool, schema: name } = toPoolConfig(
      "postgresql://u:p%40ss@h:6543/d?schema=tenant&sslmode=require",
    );
    assert.equal(name, "tenant");
    assert.equal(pool.password, "p@ss");
    assert.equal(pool.port, 6543);
    assert.equal(pool.options, '-c search_path="tenant"');
    assert.deepEqual(pool.ssl, { rejectUnauthorized: false });
    assert.throws(() => toPoolConfig("mysql://x"), /must start with postgresql:\/\//);
  });

  it("finds the engine's wasm beside a bundle, from PRISMA_SCHEMA_ENGINE_WASM, or in node_modules", () => {
    const previous = process.env.PRISMA_SCHEMA_ENGINE_WASM;
    process.env.PRISMA_SCHEMA_ENGINE_WASM = "/opt/engine.wasm";
    try {
      const candidates = wasmCandidates();
      assert.equal(candidates[0], "/opt/engine.wasm");
      assert.ok(candidates.some((c) => c.endsWith("handlers/lib/schema_engine_bg.wasm")));
      assert.ok(
        candidates.some((c) =>
          c.includes("node_modules/@prisma/schema-engine-wasm/schema_engine_bg.wasm"),
        ),
      );
    } finally {
      if (previous === undefined) delete process.env.PRISMA_SCHEMA_ENGINE_WASM;
      else process.env.PRISMA_SCHEMA_ENGINE_WASM = previous;
    }
  });

  it("runs from a single-file esbuild bundle with the wasm shipped beside it (the migration Lambda's shape)", async () => {
    const target = await createTestDatabase("migrations_bundle");
    const dir = mkdtempSync(join(tmpdir(), "huntaze-migrate-bundle-"));
    try {
      // A stand-in for handlers/migrate.ts: migrations embedded as data, wasm next to index.js.
      writeFileSync(join(dir, "migrations.json"), JSON.stringify(set));
      writeFileSync(
        join(dir, "entry.ts"),
        `import { applyMigrations } from ${JSON.stringify(resolve("handlers/lib/migrations"))};
         import migrations from "./migrations.json";
         export async function handler(event: { url: string }) {
           return applyMigrations({ connection: event.url, migrations });
         }`,
      );
      const esbuild = require("esbuild") as typeof import("esbuild");
      esbuild.buildSync({
        entryPoints: [join(dir, "entry.ts")],
        outfile: join(dir, "out", "index.js"),
        bundle: true,
        platform: "node",
        format: "cjs",
        target: "node20",
        minify: true,
        logLevel: "silent",
      });
      const wasm = join(
        dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg")),
        "schema_engine_bg.wasm",
      );
      copyFileSync(wasm, join(dir, "out", "schema_engine_bg.wasm"));
      const script = `require(${JSON.stringify(join(dir, "out", "index.js"))}).handler({ url: process.argv[1] }).then((r) => { process.stdout.write(JSON.stringify(r)); }, (e) => { process.stderr.write(String(e)); process.exit(1); });`;
      // Run outside the project (no node_modules to fall back on): the bundle must be self-sufficient.
      const run = spawnSync(process.execPath, ["-e", script, target.url], {
        cwd: dir,
        encoding: "utf8",
      });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), { applied: set.migrations.map((m) => m.name) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await target.drop();
    }
  });

  it("leaves no connection open behind it", async () => {
    await applyMigrations({ connection: db.url, migrations: set });
    const count = await withClient(db.url, async (c: Client) => {
      const { rows } = await c.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
      );
      return rows[0].n;
    });
    assert.equal(count, 0);
  });
});
