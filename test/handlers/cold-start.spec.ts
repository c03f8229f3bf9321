/**
 * A runtime's first request: Prisma's engine start (CPU on this thread) and the first database
 * connection (waits on the secret store, the network and the server) start together when the
 * client is built (prisma.ts), instead of one after the other. Observed through the TCP fault
 * proxy (test/support/fault-proxy.ts) in front of the real PostgreSQL: what connects, when, and
 * what a failed first connection leaves behind.
 */
import { strict as assert } from "node:assert";
import type { TestDatabase } from "../support/database";
import { FaultProxy } from "../support/fault-proxy";
import { InMemorySecretSource } from "../support/secrets";
import { apiClient, migratedDatabase, secretBackedDatabase, testDatabase } from "./helpers";

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cold-start-AbCdEf";

/** Polls `condition` every 5 ms; fails naming `what` after `timeoutMs`. */
async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Collects the process's unhandled rejections while `fn` runs (mocha would only see a crash). */
async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on("unhandledRejection", listener);
  try {
    await fn();
    // Rejections are reported after the microtask queue drains: give them a turn.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("unhandledRejection", listener);
  }
  return seen;
}

describe("a runtime's first connection (opened while Prisma's engine starts)", () => {
  let db: TestDatabase;
  let proxy: FaultProxy;

  before(async () => {
    db = await migratedDatabase("coldstart");
    proxy = await FaultProxy.start(db.url);
  });
  afterEach(() => {
    proxy.thaw();
    proxy.cutAll();
  });
  after(async () => {
    await proxy.close();
    await db.drop();
  });

  it("is opened by building the client, before any query, and the first query runs on it", async () => {
    const accepted = proxy.accepted;
    const statements = proxy.statements.length;
    const database = testDatabase(proxy.url);
    try {
      await database.client();
      await until("the first connection is open", () => proxy.connections === 1);
      assert.equal(proxy.statements.length, statements, "no statement was sent to open it");

      const res = await apiClient(database)("GET", "/creators/1/fans", { query: { limit: "5" } });
      assert.equal(res.status, 200);
      assert.equal(res.body.data.length, 5);
      assert.equal(proxy.accepted - accepted, 1, "one connection for the build and the query");
    } finally {
      await database.disconnect();
    }
  });

  it("with a secret, connects once, with the credentials the build read", async () => {
    const source = new InMemorySecretSource();
    const accepted = proxy.accepted;
    const database = secretBackedDatabase(source, SECRET_ARN, proxy.url);
    try {
      await database.client();
      await until("the first connection is open", () => proxy.connections === 1);
      const res = await apiClient(database)("GET", "/creators/1/fans", { query: { limit: "5" } });
      assert.equal(res.status, 200);
      assert.equal(proxy.accepted - accepted, 1);
      assert.ok(
        source.reads.every((r) => !r.forced),
        "no refetch past the caches: the password was never refused",
      );
    } finally {
      await database.disconnect();
    }
  });

  it("fails the build, with no connection attempted, when the secret cannot be read", async () => {
    const accepted = proxy.accepted;
    // The source holds no secret.
    const database = secretBackedDatabase(new InMemorySecretSource(), SECRET_ARN);
    try {
      const unhandled = await unhandledDuring(async () => {
        await assert.rejects(database.client(), /can't find the specified secret/);
      });
      assert.deepEqual(unhandled, []);
      assert.equal(proxy.accepted - accepted, 0);
    } finally {
      await database.disconnect();
    }
  });

  it("that hangs does not hold the build: the first query answers 503 within its timeouts, the next one 200 once the database answers", async () => {
    const database = testDatabase(proxy.url, {
      pool: { connectionTimeoutMillis: 300, queryTimeoutMs: 1000 },
    });
    const call = apiClient(database);
    try {
      proxy.freeze();
      const unhandled = await unhandledDuring(async () => {
        // The engine starts without the database: the build does not wait for the connection.
        await database.client();
        const res = await call("GET", "/creators/1/fans", { query: { limit: "5" } });
        assert.equal(res.status, 503);
        assert.ok(res.headers["retry-after"], "a Retry-After header");
      });
      assert.deepEqual(unhandled, []);

      proxy.thaw();
      const next = await call("GET", "/creators/1/fans", { query: { limit: "5" } });
      assert.equal(next.status, 200);
    } finally {
      await database.disconnect();
    }
  });
});
