/**
 * The handlers under real faults: a TCP proxy (test/support/fault-proxy.ts) between the
 * handler's pool and the real PostgreSQL cuts sockets at chosen protocol points and freezes
 * traffic. Nothing here builds an error object by hand: the driver sees what it would see in
 * production. Asserted throughout: no 500, no duplicate, no partial write.
 */
import { strict as assert } from "node:assert";
import { toHttpError } from "../../handlers/lib/errors";
import type { Database } from "../../handlers/lib/prisma";
import type { TestDatabase } from "../support/database";
import { FaultProxy } from "../support/fault-proxy";
import { apiClient, migratedDatabase, testDatabase, withClient } from "./helpers";

describe("handlers under real faults (TCP fault proxy)", () => {
  let db: TestDatabase;
  let proxy: FaultProxy;
  let database: Database;
  let call: ReturnType<typeof apiClient>;

  const sql = async <T = Record<string, unknown>>(text: string, values: unknown[] = []) =>
    withClient(db.url, async (c) => (await c.query(text, values)).rows as T[]);

  const purchase = (key: string, fanId = 4) =>
    call("POST", "/creators/1/transactions", {
      body: { fanId, type: "tip", amountCents: 250 },
      headers: { "idempotency-key": key },
    });
  const campaign = (key: string) =>
    call("POST", "/creators/1/campaigns", {
      body: { body: `campaign ${key}`, fanIds: [1, 4, 7] },
      headers: { "idempotency-key": key },
    });

  /** Fans whose stored totals differ from their purchases (a partial write would show here). */
  const inconsistentFans = () =>
    sql(
      `SELECT f.id FROM fans f LEFT JOIN (SELECT fan_id, SUM(amount_cents) s, COUNT(*) n FROM transactions GROUP BY fan_id) t ON t.fan_id = f.id
       WHERE f.total_spent_cents <> COALESCE(t.s, 0) OR f.transaction_count <> COALESCE(t.n, 0)`,
    );

  before(async () => {
    db = await migratedDatabase("faults");
    proxy = await FaultProxy.start(db.url);
  });
  beforeEach(() => {
    proxy.clearRules();
    database = testDatabase(proxy.url, {
      pool: { max: 2, queryTimeoutMs: 1500, connectionTimeoutMillis: 1500 },
    });
    call = apiClient(database);
  });
  afterEach(async () => {
    proxy.thaw();
    await database.disconnect();
  });
  after(async () => {
    await proxy.close();
    await db.drop();
  });

  describe("a connection cut before anything could commit is retried once on a new one", () => {
    for (const [index, label, pattern] of [
      [1, "before a plain SELECT", /^SELECT/],
      [2, "before BEGIN", /^BEGIN/],
      [3, "mid-transaction, before the INSERT", /^INSERT/],
      [4, "mid-transaction, before the UPDATE", /^UPDATE/],
    ] as const) {
      it(label, async () => {
        const cutsBefore = proxy.cuts;
        proxy.cutBefore(pattern);
        const key = `cut-before-${index}`;
        const read = await call("GET", "/creators/1/fans", { query: { limit: "3" } });
        const write = await purchase(key);
        const sent = await campaign(`${key}-c`);
        assert.equal(proxy.cuts, cutsBefore + 1, "the rule fired once");
        assert.deepEqual(
          [read.status, write.status, sent.status],
          [200, 201, 201],
          `${read.raw} ${write.raw} ${sent.raw}`,
        );
        const [{ n }] = await sql<{ n: number }>(
          "SELECT count(*)::int AS n FROM transactions WHERE idempotency_key = $1",
          [key],
        );
        assert.equal(n, 1);
        assert.deepEqual(await inconsistentFans(), []);
      });
    }
  });

  describe("a COMMIT whose reply is lost", () => {
    it("is resolved through the purchase's key: one purchase, the original answer", async () => {
      proxy.loseReply(/^COMMIT/);
      const first = await purchase("lost-commit-purchase");
      assert.equal(proxy.cuts > 0, true);
      // The retry inside the request found the committed row by its key.
      assert.equal(first.status, 200, first.raw);
      assert.equal(first.body.replayed, true);
      const again = await purchase("lost-commit-purchase");
      assert.equal(again.status, 200);
      assert.equal(again.body.id, first.body.id);
      const rows = await sql("SELECT id FROM transactions WHERE idempotency_key = $1", [
        "lost-commit-purchase",
      ]);
      assert.equal(rows.length, 1);
      assert.deepEqual(await inconsistentFans(), []);
    });

    it("answers 503 when the key cannot be checked either, and the client's retry finds one campaign", async () => {
      // The first key lookup is cut (retried on a new connection), then COMMIT's reply is lost:
      // no retry left, so the handler cannot know whether the campaign exists.
      proxy.loseReply(/^COMMIT/);
      proxy.cutBefore(/FROM "public"\."campaigns" .*"idempotency_key" =/);
      const first = await campaign("lost-commit-campaign");
      assert.equal(first.status, 503, first.raw);
      assert.equal(first.headers["retry-after"], "1");
      assert.match(first.body.error.code, /^(DATABASE_UNAVAILABLE|OUTCOME_UNKNOWN)$/);
      const retry = await campaign("lost-commit-campaign");
      assert.equal(retry.status, 200, retry.raw);
      assert.equal(retry.body.replayed, true);
      const campaigns = await sql<{ id: number }>(
        "SELECT id FROM campaigns WHERE idempotency_key = $1",
        ["lost-commit-campaign"],
      );
      assert.equal(campaigns.length, 1);
      assert.equal(campaigns[0].id, retry.body.id);
      const [{ n }] = await sql<{ n: number }>(
        "SELECT count(*)::int AS n FROM messages WHERE campaign_id = $1",
        [campaigns[0].id],
      );
      assert.equal(n, 3);
    });

    it("answers 503 OUTCOME_UNKNOWN (never 500) for a write that cannot resolve through a key", async () => {
      proxy.loseReply(/^COMMIT/);
      const outcome = await database
        .run((prisma) =>
          prisma.$transaction((tx) =>
            tx.creator.create({ data: { handle: "ambiguous", displayName: "A" } }),
          ),
        )
        .then(
          () => "resolved",
          (err: unknown) => err,
        );
      const mapped = toHttpError(outcome);
      assert.equal(mapped.status, 503);
      assert.equal(mapped.code, "OUTCOME_UNKNOWN");
      // And it did commit: exactly the case a blind retry would have duplicated.
      assert.equal((await sql("SELECT id FROM creators WHERE handle = 'ambiguous'")).length, 1);
    });
  });

  it("answers only 2xx, 4xx or 503 to mixed traffic while every connection is cut each 300 ms", async function () {
    this.timeout(30_000);
    database = testDatabase(proxy.url, {
      pool: { max: 4, queryTimeoutMs: 1500, connectionTimeoutMillis: 1500 },
    });
    call = apiClient(database);
    const statuses = new Map<number, number>();
    const keys: string[] = [];
    const cutter = setInterval(() => proxy.cutAll(), 300);
    const until = Date.now() + 4000;
    let n = 0;
    const worker = async (w: number) => {
      while (Date.now() < until) {
        const i = n++;
        let res: Awaited<ReturnType<typeof call>>;
        switch (i % 5) {
          case 0: {
            const key = `mixed-${w}-${i}-purchase`;
            keys.push(key);
            res = await purchase(key, 1 + 3 * (i % 20));
            break;
          }
          case 1:
            res = await campaign(`mixed-${w}-${i}-campaign`);
            break;
          case 2:
            res = await call("GET", "/creators/1/fans", { query: { limit: "10" } });
            break;
          case 3:
            res = await call("GET", "/creators/1/fans/1/messages", { query: { limit: "10" } });
            break;
          default:
            res = await call("GET", "/creators/1/revenue");
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    };
    try {
      await Promise.all([0, 1, 2, 3].map(worker));
    } finally {
      clearInterval(cutter);
    }
    const seen = [...statuses.keys()];
    assert.ok(
      seen.every((s) => (s >= 200 && s < 300) || (s >= 400 && s < 500) || s === 503),
      JSON.stringify(Object.fromEntries(statuses)),
    );
    assert.ok((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) > 0, "some requests succeeded");
    assert.ok(proxy.cuts > 5, `only ${proxy.cuts} cuts`);
    // No duplicate (the unique key guarantees it) and no partial write.
    assert.deepEqual(await inconsistentFans(), []);
    const orphans = await sql(
      "SELECT c.id FROM campaigns c WHERE c.recipient_count <> (SELECT count(*) FROM messages m WHERE m.campaign_id = c.id)",
    );
    assert.deepEqual(orphans, []);
  });

  it("answers 503 within the client-side query timeout while PostgreSQL is frozen, then recovers", async () => {
    assert.equal((await call("GET", "/creators/1/fans")).status, 200);
    proxy.freeze();
    const started = Date.now();
    const frozen = await call("GET", "/creators/1/fans");
    const elapsed = Date.now() - started;
    assert.equal(frozen.status, 503, frozen.raw);
    assert.equal(frozen.headers["retry-after"], "1");
    // One query timeout (1500 ms); a timed-out request is not retried.
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
    proxy.thaw();
    assert.equal((await call("GET", "/creators/1/fans")).status, 200);
  });

  describe("server-side limits answer 503 with Retry-After", () => {
    it("a lock held elsewhere past lock_timeout", async () => {
      database = testDatabase(db.url, { pool: { lockTimeoutMs: 200 } });
      call = apiClient(database);
      await withClient(db.url, async (locker) => {
        await locker.query("BEGIN");
        await locker.query("SELECT id FROM fans WHERE id = 7 FOR UPDATE");
        try {
          const res = await purchase("locked-fan-0001", 7);
          assert.equal(res.status, 503, res.raw);
          assert.equal(res.headers["retry-after"], "1");
        } finally {
          await locker.query("ROLLBACK");
        }
      });
      const rows = await sql(
        "SELECT id FROM transactions WHERE idempotency_key = 'locked-fan-0001'",
      );
      assert.equal(rows.length, 0);
    });

    it("a statement past statement_timeout", async () => {
      database = testDatabase(db.url, { pool: { statementTimeoutMs: 300, lockTimeoutMs: 0 } });
      call = apiClient(database);
      await withClient(db.url, async (locker) => {
        await locker.query("BEGIN");
        await locker.query("LOCK TABLE fans IN ACCESS EXCLUSIVE MODE");
        try {
          const res = await call("GET", "/creators/1/fans");
          assert.equal(res.status, 503, res.raw);
        } finally {
          await locker.query("ROLLBACK");
        }
      });
    });

    it("too many connections (53300)", async () => {
      const role = `tiny_${process.pid}`;
      const u = new URL(db.url);
      await sql(`DROP ROLE IF EXISTS ${role}`);
      await sql(`CREATE ROLE ${role} LOGIN PASSWORD 'tiny' CONNECTION LIMIT 0`);
      try {
        u.username = role;
        u.password = "tiny";
        database = testDatabase(u.toString());
        const res = await apiClient(database)("GET", "/creators/1/fans");
        assert.equal(res.status, 503, res.raw);
        assert.equal(res.headers["retry-after"], "1");
      } finally {
        await database.disconnect();
        await sql(`DROP ROLE IF EXISTS ${role}`);
      }
    });
  });

  it("stores a lifetime spend beyond 32 bits and answers it as a JSON number", async () => {
    const big = 2_147_483_600;
    await sql("UPDATE fans SET total_spent_cents = total_spent_cents + $1 WHERE id = 10", [big]);
    try {
      const [{ total }] = await sql<{ total: string }>(
        "SELECT total_spent_cents::text AS total FROM fans WHERE id = 10",
      );
      const res = await purchase("overflow-0001", 10);
      assert.equal(res.status, 201, res.raw);
      assert.equal(typeof res.body.fan.lifetimeSpendCents, "number");
      assert.equal(res.body.fan.lifetimeSpendCents, Number(total) + 250);
      assert.ok(res.body.fan.lifetimeSpendCents > 2 ** 31);
      const page = await call("GET", "/creators/1/fans", { query: { limit: "20" } });
      const fan = page.body.data.find((f: { id: number }) => f.id === 10);
      assert.equal(fan.lifetimeSpendCents, Number(total) + 250);
    } finally {
      await sql("UPDATE fans SET total_spent_cents = total_spent_cents - $1 WHERE id = 10", [big]);
    }
  });
});
