import { strict as assert } from "node:assert";
import { createServer, type Server } from "node:net";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import type { Client } from "pg";
import { applyMigrations, loadMigrationsFromDir } from "../../handlers/lib/migrations";
import { Database } from "../../handlers/lib/prisma";
import { secretsManagerSource } from "../../handlers/lib/secrets";
import { seedDatabase } from "../../prisma/seed";
import {
  type EmbeddedServer,
  startEmbeddedPostgres,
  withDatabase,
} from "../../tools/dev/embedded-postgres";
import { getTestDatabaseUrl, type TestDatabase } from "../support/database";
import { InMemorySecretSource } from "../support/secrets";
import {
  apiClient,
  migratedDatabase,
  quietLogger,
  secretBackedDatabase,
  TEST_SEED,
  testDatabase,
  withClient,
} from "./helpers";

const SECRET_ARN =
  "arn:aws:secretsmanager:us-east-1:123456789012:secret:huntaze-api-test-app-AbCdEf";

describe("resilience", () => {
  describe("when the database is down", () => {
    let server: EmbeddedServer;
    let url: string;

    before(async () => {
      // Its own server, so that stopping it cannot disturb the other tests.
      server = await startEmbeddedPostgres();
      await withClient(server.adminUrl, (c) => c.query("CREATE DATABASE down_test"));
      url = withDatabase(server.adminUrl, "down_test");
      await applyMigrations({
        connection: url,
        migrations: await loadMigrationsFromDir("prisma/migrations"),
      });
      await withClient(url, (c) => seedDatabase(c, TEST_SEED));
    });
    after(() => server.stop());

    it("answers 503 with the minimal body once PostgreSQL stops, on routes and on /health", async () => {
      const database = testDatabase(url);
      const call = apiClient(database);
      try {
        assert.equal((await call("GET", "/creators/1/fans")).status, 200);
        await server.stop();
        const route = await call("GET", "/creators/1/fans");
        assert.equal(route.status, 503, route.raw);
        assert.deepEqual(Object.keys(route.body.error).sort(), ["code", "message", "requestId"]);
        assert.equal(route.body.error.code, "DATABASE_UNAVAILABLE");
        assert.equal(route.headers["retry-after"], "1");
        const write = await call("POST", "/creators/1/transactions", {
          body: { fanId: 1, type: "tip", amountCents: 100 },
          headers: { "idempotency-key": "down-test-0001" },
        });
        assert.equal(write.status, 503);
        const health = await call("GET", "/health");
        assert.equal(health.status, 503);
        assert.equal(health.body.status, "unavailable");
        assert.equal(health.body.database.reachable, false);
      } finally {
        await database.disconnect();
      }
    });

    it("answers /health with 503 within its short timeout when the server accepts but never answers", async () => {
      const blackHole: Server = createServer(() => undefined);
      await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
      const port = (blackHole.address() as { port: number }).port;
      // (A connect timeout just above the health timeout keeps the test short.)
      const database = testDatabase(`postgresql://u:p@127.0.0.1:${port}/x`, {
        pool: { connectionTimeoutMillis: 2500 },
      });
      try {
        const started = Date.now();
        const res = await apiClient(database)("GET", "/health");
        assert.equal(res.status, 503);
        assert.ok(Date.now() - started < 4500, `took ${Date.now() - started} ms`);
      } finally {
        await database.disconnect();
        blackHole.close();
      }
    });
  });

  describe("retries in Database.run", () => {
    const prismaError = (code: string, cause: Record<string, string>) =>
      Object.assign(new Error("Invalid `prisma.fan.findMany()` invocation"), {
        name: "PrismaClientKnownRequestError",
        code,
        meta: { driverAdapterError: { cause } },
      });
    const terminated = () => prismaError("P2039", { originalCode: "57P01", kind: "postgres" });
    const refused = () =>
      prismaError("P1000", { originalCode: "28P01", kind: "AuthenticationFailed" });
    let db: TestDatabase;

    before(async () => {
      db = await migratedDatabase("retries", false);
    });
    after(() => db.drop());

    const secretDatabase = (source: InMemorySecretSource): Database =>
      secretBackedDatabase(source, SECRET_ARN, db.url);

    it("retries once on a connection the server ended, then on refused credentials after refetching the secret", async () => {
      const source = new InMemorySecretSource();
      const database = secretDatabase(source);
      try {
        const failures = [terminated(), refused()];
        let calls = 0;
        const result = await database.run(async () => {
          calls += 1;
          const failure = failures.shift();
          if (failure) throw failure;
          return "ok";
        });
        assert.equal(result, "ok");
        assert.equal(calls, 3);
        assert.equal(database.credentials?.refreshes, 1);
        assert.deepEqual(
          source.reads.map((r) => r.forced),
          [false, true],
        );
      } finally {
        await database.disconnect();
      }
    });

    it("does not retry the same kind of failure twice, nor a request error", async () => {
      const database = secretDatabase(new InMemorySecretSource());
      try {
        let calls = 0;
        await assert.rejects(
          database.run(async () => {
            calls += 1;
            throw terminated();
          }),
          /Invalid/,
        );
        assert.equal(calls, 2);
        calls = 0;
        await assert.rejects(
          database.run(async () => {
            calls += 1;
            throw prismaError("P2002", {
              originalCode: "23505",
              kind: "UniqueConstraintViolation",
            });
          }),
        );
        assert.equal(calls, 1);
      } finally {
        await database.disconnect();
      }
    });
  });

  describe("credential rotation during a run of requests", () => {
    let db: TestDatabase;
    const user = `app_${process.pid}`;
    const clone = `${user}_clone`;
    /** The stand-in for Secrets Manager's stored value (the database behind it is real). */
    let stored: Record<string, unknown>;
    let secretsManager: SecretsManagerClient;
    let sdk: ReturnType<typeof mockClient>;

    const admin = <T>(fn: (c: Client) => Promise<T>) => withClient(db.url, fn);
    const secretFor = (username: string, password: string) => {
      const u = new URL(db.url);
      return {
        engine: "postgres",
        host: u.hostname,
        port: Number(u.port),
        dbname: u.pathname.slice(1),
        username,
        password,
      };
    };
    /** A new runtime (or a recycled connection) must log in again: drop the app's sessions. */
    const dropAppSessions = () =>
      admin((c) =>
        c.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename IN ($1, $2)",
          [user, clone],
        ),
      );

    before(async () => {
      db = await migratedDatabase("rotation");
      await admin(async (c) => {
        for (const role of [user, clone]) {
          await c.query(`DROP ROLE IF EXISTS ${role}`);
          await c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'initial-${role}'`);
          await c.query(
            `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`,
          );
          await c.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
        }
      });
      secretsManager = new SecretsManagerClient({ region: "us-east-1" });
      sdk = mockClient(secretsManager);
      sdk.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
        assert.equal(input.SecretId, SECRET_ARN);
        return { ARN: SECRET_ARN, SecretString: JSON.stringify(stored) };
      });
    });
    after(async () => {
      sdk.restore();
      await db.drop();
      await withClient(await getTestDatabaseUrl(), async (c) => {
        await c.query(`DROP ROLE IF EXISTS ${user}`);
        await c.query(`DROP ROLE IF EXISTS ${clone}`);
      });
    });

    function rotatingDatabase(): Database {
      return new Database({
        env: {
          stage: "staging",
          serviceName: "huntaze-api",
          slowQueryMs: 200,
          dbSecretArn: SECRET_ARN,
        },
        // The production path: Powertools' Secrets Manager provider with its 60 s cache.
        secretSource: secretsManagerSource({ client: secretsManager, maxAgeSeconds: 60 }),
        ssl: false,
        logger: quietLogger(),
      });
    }

    it("serves every request while a single-user rotation changes the password under a cached secret", async () => {
      stored = secretFor(user, `initial-${user}`);
      sdk.resetHistory();
      const database = rotatingDatabase();
      const call = apiClient(database);
      const statuses: number[] = [];
      try {
        for (let i = 0; i < 30; i++) {
          if (i === 10) {
            // What the single-user rotation does: new password in the database, then in the secret.
            await admin((c) => c.query(`ALTER ROLE ${user} PASSWORD 'rotated-1'`));
            stored = secretFor(user, "rotated-1");
            await dropAppSessions();
          }
          statuses.push((await call("GET", "/creators/1/fans", { query: { limit: "5" } })).status);
        }
        assert.deepEqual(statuses, Array(30).fill(200));
        // The stale cached password was refused once, and the secret refetched past the cache.
        assert.equal(database.credentials?.refreshes, 1);
        assert.equal(sdk.commandCalls(GetSecretValueCommand).length, 2);
      } finally {
        await database.disconnect();
      }
    });

    it("serves every request across two alternating-users rotations (user → user_clone → user)", async () => {
      await admin((c) => c.query(`ALTER ROLE ${user} PASSWORD 'alt-0'`));
      stored = secretFor(user, "alt-0");
      const database = rotatingDatabase();
      const call = apiClient(database);
      const statuses: number[] = [];
      try {
        for (let i = 0; i < 30; i++) {
          if (i === 10) {
            // Rotation 1: the clone gets a new password and becomes current; the user still works.
            await admin((c) => c.query(`ALTER ROLE ${clone} PASSWORD 'alt-1'`));
            stored = secretFor(clone, "alt-1");
            await dropAppSessions();
          }
          if (i === 20) {
            // Rotation 2: back to the user, with a new password (the one this runtime cached is now wrong).
            await admin((c) => c.query(`ALTER ROLE ${user} PASSWORD 'alt-2'`));
            stored = secretFor(user, "alt-2");
            await dropAppSessions();
          }
          const res =
            i % 3 === 2
              ? await call("POST", "/creators/1/transactions", {
                  body: { fanId: 1, type: "tip", amountCents: 100 },
                  headers: { "idempotency-key": `alternating-${i}-key` },
                })
              : await call("GET", "/creators/1/fans/1/messages", { query: { limit: "5" } });
          statuses.push(res.status);
        }
        assert.deepEqual(
          statuses,
          statuses.map((_, i) => (i % 3 === 2 ? 201 : 200)),
        );
        const sessions = await admin(
          async (c) =>
            (
              await c.query(
                "SELECT DISTINCT usename FROM pg_stat_activity WHERE usename IN ($1, $2)",
                [user, clone],
              )
            ).rows,
        );
        assert.deepEqual(sessions, [{ usename: user }]);
      } finally {
        await database.disconnect();
      }
    });

    it("reads the secret once for many concurrent refused connections (single-flight)", async () => {
      await admin((c) => c.query(`ALTER ROLE ${user} PASSWORD 'storm-0'`));
      stored = secretFor(user, "storm-0");
      sdk.resetHistory();
      const database = new Database({
        env: {
          stage: "staging",
          serviceName: "huntaze-api",
          slowQueryMs: 200,
          dbSecretArn: SECRET_ARN,
        },
        secretSource: secretsManagerSource({ client: secretsManager, maxAgeSeconds: 60 }),
        ssl: false,
        logger: quietLogger(),
        pool: { max: 12 },
      });
      const call = apiClient(database);
      try {
        // Twelve connections at once, all logging in with the cached (soon stale) password.
        const warm = await Promise.all(Array.from({ length: 12 }, () => call("GET", "/health")));
        assert.deepEqual(
          warm.map((r) => r.status),
          Array(12).fill(200),
        );
        assert.equal(sdk.commandCalls(GetSecretValueCommand).length, 1);
        // A real window: the password changes in the database, sessions end, and only then
        // is the secret updated — every new connection in the window is refused.
        await admin((c) => c.query(`ALTER ROLE ${user} PASSWORD 'storm-1'`));
        await dropAppSessions();
        stored = secretFor(user, "storm-1");
        const results = await Promise.all(
          Array.from({ length: 12 }, () =>
            call("GET", "/creators/1/fans", { query: { limit: "2" } }),
          ),
        );
        assert.deepEqual(
          results.map((r) => r.status),
          Array(12).fill(200),
        );
        // One forced read for all twelve refusals, not one per connection.
        assert.equal(sdk.commandCalls(GetSecretValueCommand).length, 2);
        assert.equal(database.credentials?.refreshes, 1);
      } finally {
        await database.disconnect();
      }
    });

    it("answers 503, not 500, in the window between the password change and the secret update, with bounded reads", async () => {
      await admin((c) => c.query(`ALTER ROLE ${user} PASSWORD 'window-0'`));
      stored = secretFor(user, "window-0");
      sdk.resetHistory();
      const database = new Database({
        env: {
          stage: "staging",
          serviceName: "huntaze-api",
          slowQueryMs: 200,
          dbSecretArn: SECRET_ARN,
        },
        secretSource: secretsManagerSource({ client: secretsManager, maxAgeSeconds: 60 }),
        ssl: false,
        logger: quietLogger(),
        pool: { max: 8 },
      });
      const call = apiClient(database);
      try {
        assert.equal((await call("GET", "/health")).status, 200);
        // The rotation's setSecret step has run, its updateSecret step not yet.
        await admin((c) => c.query(`ALTER ROLE ${user} PASSWORD 'window-1'`));
        await dropAppSessions();
        const during = await Promise.all(
          Array.from({ length: 8 }, () => call("GET", "/creators/1/fans")),
        );
        assert.deepEqual(
          during.map((r) => r.status),
          Array(8).fill(503),
        );
        // The first read, then one forced read shared by the eight refusals.
        assert.equal(sdk.commandCalls(GetSecretValueCommand).length, 2);
        stored = secretFor(user, "window-1");
        assert.equal((await call("GET", "/creators/1/fans")).status, 200);
        assert.equal(sdk.commandCalls(GetSecretValueCommand).length, 3);
      } finally {
        await database.disconnect();
      }
    });

    it("retries a throttled secret read with backoff, a bounded number of times", async () => {
      await admin((c) => c.query(`ALTER ROLE ${user} PASSWORD 'throttle-0'`));
      stored = secretFor(user, "throttle-0");
      sdk.resetHistory();
      let failures = 2;
      sdk.on(GetSecretValueCommand).callsFake(() => {
        if (failures-- > 0) throw new Error("ThrottlingException: Rate exceeded");
        return { ARN: SECRET_ARN, SecretString: JSON.stringify(stored) };
      });
      const database = rotatingDatabase();
      try {
        const res = await apiClient(database)("GET", "/creators/1/fans");
        assert.equal(res.status, 200, res.raw);
        assert.equal(sdk.commandCalls(GetSecretValueCommand).length, 3);
        // Always throttled: three reads, then 503 — not an unbounded loop.
        sdk.resetHistory();
        sdk.on(GetSecretValueCommand).rejects(new Error("ThrottlingException: Rate exceeded"));
        const cold = rotatingDatabase();
        try {
          const refused = await apiClient(cold)("GET", "/creators/1/fans");
          assert.equal(refused.status, 503);
          assert.equal(sdk.commandCalls(GetSecretValueCommand).length, 3);
        } finally {
          await cold.disconnect();
        }
      } finally {
        await database.disconnect();
        sdk
          .on(GetSecretValueCommand)
          .callsFake(() => ({ ARN: SECRET_ARN, SecretString: JSON.stringify(stored) }));
      }
    });

    it("answers 503 while Secrets Manager cannot be read, then recovers", async () => {
      await admin((c) => c.query(`ALTER ROLE ${user} PASSWORD 'outage-0'`));
      stored = secretFor(user, "outage-0");
      const database = rotatingDatabase();
      const call = apiClient(database);
      try {
        assert.equal((await call("GET", "/creators/1/fans")).status, 200);
        // The password changes, and Secrets Manager is throttled when the handler needs it.
        await admin((c) => c.query(`ALTER ROLE ${user} PASSWORD 'outage-1'`));
        stored = secretFor(user, "outage-1");
        await dropAppSessions();
        sdk.on(GetSecretValueCommand).rejects(new Error("ThrottlingException: Rate exceeded"));
        const during = await call("GET", "/creators/1/fans");
        assert.equal(during.status, 503, during.raw);
        assert.equal(during.body.error.code, "DATABASE_UNAVAILABLE");
        sdk
          .on(GetSecretValueCommand)
          .callsFake(() => ({ ARN: SECRET_ARN, SecretString: JSON.stringify(stored) }));
        assert.equal((await call("GET", "/creators/1/fans")).status, 200);
      } finally {
        await database.disconnect();
      }
    });

    it("answers 503 (not 500) when the refetched secret is still wrong", async () => {
      stored = secretFor(user, "not-the-password");
      const database = rotatingDatabase();
      try {
        const res = await apiClient(database)("GET", "/creators/1/fans");
        assert.equal(res.status, 503);
        assert.doesNotMatch(res.raw, /not-the-password|password authentication/);
      } finally {
        await database.disconnect();
      }
    });
  });
});
