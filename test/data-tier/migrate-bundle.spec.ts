import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { MigrateHandlerOptions, MigrationReport } from "../../handlers/migrate";
import type { SecretStore } from "../../handlers/migration/secret-store";
import { bundleFunction } from "../../infra/lib/bundle";
import { migrationAssets, migrationsChecksum } from "../../infra/lib/migrations";
import { createTestDatabase, type TestDatabase } from "../support/database";

const MASTER_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-bundle-AbCdEf";
const APP_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bundle-app-XyZ";

type BundledModule = {
  createMigrateHandler(
    options: MigrateHandlerOptions,
  ): (event: unknown) => Promise<MigrationReport>;
};

/**
 * The artifact Lambda runs, not the sources: the migration function bundled exactly as the stack
 * bundles it (same entry, same assets), copied outside the project so nothing can be resolved
 * from node_modules, then run against the real test PostgreSQL.
 */
describe("the migration function's bundle, run outside the project", () => {
  let outside: string;
  let bundled: BundledModule;
  let db: TestDatabase;
  const appUser = `bundle_app_${process.pid}`;
  const secrets = new Map<string, string>();
  const store: SecretStore = {
    read: async (id) => {
      if (id !== APP_ARN && !secrets.has(id)) throw new Error(`no secret ${id}`);
      return secrets.get(id);
    },
    write: async (id, value) => {
      secrets.set(id, value);
    },
  };
  let run: (event: unknown) => Promise<MigrationReport>;

  before(async () => {
    outside = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-migrate-bundle-"));
    const bundle = bundleFunction({
      name: "migrate-e2e",
      entry: "handlers/migrate.ts",
      outRoot: path.join(outside, "build"),
      cache: false,
      assets: [
        {
          source: "node_modules/@prisma/schema-engine-wasm/schema_engine_bg.wasm",
          target: "schema_engine_bg.wasm",
        },
        ...migrationAssets(),
      ],
    });
    const lambdaRoot = path.join(outside, "var-task");
    fs.cpSync(bundle.dir, lambdaRoot, { recursive: true });
    bundled = require(path.join(lambdaRoot, "index.js")) as BundledModule;

    db = await createTestDatabase("migrate_bundle");
    const url = new URL(db.url);
    secrets.set(
      MASTER_ARN,
      JSON.stringify({
        username: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
      }),
    );
    // The bundle's own Powertools logger reads its level when created: keep the run quiet.
    const level = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
    run = bundled.createMigrateHandler({
      env: {
        DB_HOST: url.hostname,
        DB_PORT: url.port || "5432",
        DB_NAME: db.name,
        MASTER_SECRET_ARN: MASTER_ARN,
        DB_SECRET_ARN: APP_ARN,
        DB_APP_USERNAME: appUser,
      },
      secrets: store,
      // The test server has no TLS; in Lambda the bundle verifies RDS's certificate.
      ssl: false,
    });
    if (level === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = level;
  });

  after(async () => {
    await db?.drop();
    const { Client } = require("pg") as typeof import("pg");
    const { getTestDatabaseUrl } =
      require("../support/database") as typeof import("../support/database");
    const admin = new Client({ connectionString: await getTestDatabaseUrl() });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS "${appUser}"`).finally(() => admin.end());
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it("applies the shipped migrations with the shipped wasm, then nothing on the next deploy", async () => {
    const checksum = migrationsChecksum();
    const first = await run({ checksum });
    assert.ok(first.applied.length >= 1);
    assert.equal(first.checksum, checksum);
    assert.equal(first.appUser, "created");
    const second = await run({ checksum });
    assert.deepEqual(second.applied, []);
    assert.equal(second.appUser, "unchanged");
  });

  it("fails, as the deploy's invocation would report it, when the planned checksum differs", async () => {
    await assert.rejects(run({ checksum: "f".repeat(64) }), /not the ones the deploy planned/);
  });

  it("takes the operator's resolve event and refuses one for a migration that is not failed", async () => {
    await assert.rejects(
      run({ resolve: { rolledBack: "20991231000000_not_failed" } }),
      /Migration 20991231000000_not_failed is not in _prisma_migrations[\s\S]*Nothing was changed/,
    );
  });
});
