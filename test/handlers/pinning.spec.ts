import { strict as assert } from "node:assert";
import { rollUpDailyRevenue } from "../../handlers/jobs/daily-revenue";
import { Database } from "../../handlers/lib/prisma";
import type { TestDatabase } from "../support/database";
import { type PgRecorder, type RecordedStatement, startPgRecorder } from "../support/pg-recorder";
import { InMemorySecretSource } from "../support/secrets";
import { apiClient, migratedDatabase, quietLogger } from "./helpers";

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf";

/**
 * What pins a client session to one database connection on RDS Proxy for PostgreSQL
 * (docs/CONNECTIONS.md has the sources): session state the proxy cannot carry to another
 * connection. Each entry: why, and a test on one statement's text.
 */
const PINNING: Array<{ why: string; test: (s: RecordedStatement) => boolean }> = [
  { why: "named prepared statement", test: (s) => s.kind === "parse" && s.name !== "" },
  { why: "SET / RESET of a session setting", test: (s) => /^\s*(SET|RESET)\b/i.test(s.sql) },
  { why: "set_config()", test: (s) => /\bset_config\s*\(/i.test(s.sql) },
  {
    why: "SQL-level PREPARE / EXECUTE / DEALLOCATE",
    test: (s) => /^\s*(PREPARE|EXECUTE|DEALLOCATE)\b/i.test(s.sql),
  },
  { why: "DISCARD", test: (s) => /^\s*DISCARD\b/i.test(s.sql) },
  {
    why: "temporary table, view or sequence",
    test: (s) => /\bCREATE\s+(GLOBAL\s+|LOCAL\s+)?(TEMP|TEMPORARY)\b/i.test(s.sql),
  },
  { why: "cursor", test: (s) => /^\s*DECLARE\b/i.test(s.sql) },
  { why: "LISTEN / UNLISTEN", test: (s) => /^\s*(UN)?LISTEN\b/i.test(s.sql) },
  { why: "LOAD of a library", test: (s) => /^\s*LOAD\b/i.test(s.sql) },
  {
    // Session-level advisory locks; the transaction-scoped pg_advisory_xact_lock is released at
    // COMMIT and leaves no session state.
    why: "session advisory lock",
    test: (s) => /\bpg_(try_)?advisory_(un)?lock(_shared|_all)?\s*\(/i.test(s.sql),
  },
  {
    why: "sequence function whose result is session state",
    test: (s) => /\b(currval|lastval|setval)\s*\(/i.test(s.sql),
  },
];

/**
 * Startup parameters a client may send RDS Proxy: it refuses `options` and `statement_timeout`
 * (the handlers' limit is the role's own when they connect through the proxy).
 */
const STARTUP_ALLOWED = new Set(["user", "database", "application_name", "client_encoding"]);

function pinningIn(statements: RecordedStatement[]): string[] {
  return statements.flatMap((s) =>
    PINNING.filter((p) => p.test(s)).map(
      (p) => `${p.why}: ${s.name ? `[${s.name}] ` : ""}${s.sql}`,
    ),
  );
}

describe("no session pinning on RDS Proxy: every statement a request sends, on the wire", () => {
  let db: TestDatabase;
  let recorder: PgRecorder;
  let database: Database;
  let call: ReturnType<typeof apiClient>;

  before(async () => {
    db = await migratedDatabase("pinning");
    const url = new URL(db.url);
    recorder = await startPgRecorder({ host: url.hostname, port: Number(url.port) });
    // Configured as a deployed function behind RDS Proxy: credentials from the app secret (whose
    // host is the instance's), connections to DB_PROXY_HOST — here the recorder.
    const source = new InMemorySecretSource();
    source.set(SECRET_ARN, {
      host: "instance.huntaze.invalid",
      port: recorder.port,
      dbname: url.pathname.slice(1),
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    });
    database = new Database({
      env: {
        stage: "staging",
        serviceName: "huntaze-api",
        slowQueryMs: 200,
        dbSecretArn: SECRET_ARN,
        dbProxyHost: "127.0.0.1",
      },
      secretSource: source,
      ssl: false,
      logger: quietLogger(),
    });
    call = apiClient(database);
  });
  after(async () => {
    await database?.disconnect();
    await recorder?.close();
    await db?.drop();
  });

  it("sends no pinning statement and no unsupported startup parameter for the API's requests and the worker's roll-up", async () => {
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const requests: Array<[string, string, Parameters<typeof call>[2]]> = [
      ["GET", "/health", {}],
      ["GET", "/creators/1/fans", { query: { limit: "20" } }],
      ["GET", "/creators/1/fans/1/messages", { query: { limit: "20" } }],
      ["GET", "/creators/1/revenue", {}],
      [
        "POST",
        "/creators/1/transactions",
        {
          body: { fanId: 1, type: "tip", amountCents: 500 },
          headers: { "idempotency-key": "pinning-check-1" },
        },
      ],
      [
        "POST",
        "/creators/1/campaigns",
        {
          body: { body: "Hello", fanIds: [1, 4] },
          headers: { "idempotency-key": "pinning-check-2" },
        },
      ],
    ];
    for (const [method, path, options] of requests) {
      const res = await call(method, path, options);
      assert.ok(res.status < 300, `${method} ${path} → ${res.status} ${res.raw}`);
    }
    await rollUpDailyRevenue(database, day);

    assert.ok(recorder.connections.length >= 1, "the runtime connected through the recorder");
    assert.ok(recorder.statements.length >= requests.length, "statements were recorded");
    assert.deepEqual(pinningIn(recorder.statements), []);
    for (const { startup } of recorder.connections) {
      const unsupported = Object.keys(startup).filter((k) => !STARTUP_ALLOWED.has(k));
      assert.deepEqual(unsupported, [], `startup parameters ${JSON.stringify(startup)}`);
    }
  });

  it("catches a pinning statement when one is sent (the check can fail)", async () => {
    recorder.reset();
    await database.run((prisma) => prisma.$executeRawUnsafe("SET search_path TO public"));
    await database.run((prisma) => prisma.$queryRaw`SELECT pg_advisory_unlock(1) AS released`);
    assert.deepEqual(
      pinningIn(recorder.statements).map((p) => p.split(":")[0]),
      ["SET / RESET of a session setting", "session advisory lock"],
    );
  });
});
