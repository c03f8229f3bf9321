import { strict as assert } from "node:assert";
import type { Database } from "../../handlers/lib/prisma";
import type { TestDatabase } from "../support/database";
import {
  apiClient,
  type CallResult,
  migratedDatabase,
  TEST_SEED,
  testDatabase,
  withClient,
} from "./helpers";

describe("API routes on a real PostgreSQL", () => {
  let db: TestDatabase;
  let database: Database;
  let call: ReturnType<typeof apiClient>;

  before(async () => {
    db = await migratedDatabase("routes");
    database = testDatabase(db.url);
    call = apiClient(database);
  });
  after(async () => {
    await database.disconnect();
    await db.drop();
  });

  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    withClient(db.url, async (c) => (await c.query(text, params)).rows as T[]);

  async function walk(
    path: string,
    limit: number,
  ): Promise<{ ids: number[]; pages: CallResult[] }> {
    const ids: number[] = [];
    const pages: CallResult[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { limit: String(limit), ...(cursor ? { cursor } : {}) };
      const page = await call("GET", path, { query });
      assert.equal(page.status, 200, JSON.stringify(page.body));
      pages.push(page);
      ids.push(...page.body.data.map((row: { id: number }) => row.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    return { ids, pages };
  }

  describe("GET /health", () => {
    it("answers 200 with the connection mode and the database latency", async () => {
      const res = await call("GET", "/health");
      assert.equal(res.status, 200);
      assert.equal(res.body.status, "ok");
      assert.equal(res.body.connectionMode, "adapter-pg");
      assert.equal(res.body.database.reachable, true);
      assert.equal(typeof res.body.database.latencyMs, "number");
    });

    it("ignores unknown query parameters and answers HEAD", async () => {
      const busted = await call("GET", "/health", { query: { x: "1", t: "1733200000" } });
      assert.equal(busted.status, 200, busted.raw);
      const head = await call("HEAD", "/health", { query: { x: "1" } });
      assert.equal(head.status, 200);
      assert.equal(head.raw, "");
    });
  });

  describe("GET /creators/{id}/fans", () => {
    it("returns selected fields only, with each fan's latest message and lifetime spend", async () => {
      const res = await call("GET", "/creators/1/fans", { query: { limit: "5" } });
      assert.equal(res.status, 200);
      const fan = res.body.data[0];
      assert.deepEqual(Object.keys(fan).sort(), [
        "displayName",
        "handle",
        "id",
        "lastPurchaseAt",
        "latestMessage",
        "lifetimeSpendCents",
        "subscribedAt",
        "transactionCount",
      ]);
      const [expected] = await sql<{ id: number; body: string }>(
        "SELECT id, body FROM messages WHERE fan_id = $1 ORDER BY sent_at DESC, id DESC LIMIT 1",
        [fan.id],
      );
      assert.equal(fan.latestMessage.id, expected.id);
      assert.equal(fan.latestMessage.body, expected.body);
      const [spend] = await sql<{ total: string }>(
        "SELECT COALESCE(SUM(amount_cents), 0) AS total FROM transactions WHERE fan_id = $1",
        [fan.id],
      );
      assert.equal(fan.lifetimeSpendCents, Number(spend.total));
    });

    it("walks every fan of a creator exactly once, in id order, ending with a null cursor", async () => {
      const expected = (
        await sql<{ id: number }>("SELECT id FROM fans WHERE creator_id = 2 ORDER BY id")
      ).map((r) => r.id);
      for (const limit of [1, 7, expected.length, 200]) {
        const { ids, pages } = await walk("/creators/2/fans", limit);
        assert.deepEqual(ids, expected, `limit ${limit}`);
        assert.equal(pages.at(-1)?.body.nextCursor, null);
        assert.equal(
          pages.length,
          Math.max(1, Math.ceil(expected.length / limit)),
          `pages at limit ${limit}`,
        );
      }
    });

    it("gives a fan without messages a null latestMessage", async () => {
      const [{ id }] = await sql<{ id: number }>(
        "INSERT INTO fans (creator_id, handle, display_name) VALUES (3, 'quiet_fan', 'Quiet') RETURNING id",
      );
      const { pages } = await walk("/creators/3/fans", 200);
      const quiet = pages.flatMap((p) => p.body.data).find((f: { id: number }) => f.id === id);
      assert.equal(quiet.latestMessage, null);
      assert.equal(quiet.lifetimeSpendCents, 0);
    });

    it("answers 404 for an unknown creator and an empty page for a creator without fans", async () => {
      const missing = await call("GET", "/creators/999999/fans");
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, "NOT_FOUND");
      await sql("INSERT INTO creators (handle, display_name) VALUES ('lonely', 'Lonely')");
      const [{ id }] = await sql<{ id: number }>("SELECT id FROM creators WHERE handle = 'lonely'");
      const empty = await call("GET", `/creators/${id}/fans`);
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, { data: [], nextCursor: null });
    });
  });

  describe("GET /creators/{id}/fans/{fanId}/messages", () => {
    it("walks a whole conversation newest first without duplicates or gaps", async () => {
      const expected = (
        await sql<{ id: number }>(
          "SELECT id FROM messages WHERE fan_id = 1 ORDER BY sent_at DESC, id DESC",
        )
      ).map((r) => r.id);
      assert.ok(expected.length >= TEST_SEED.longConversation!);
      const { ids } = await walk("/creators/1/fans/1/messages", 50);
      assert.deepEqual(ids, expected);
    });

    it("keeps messages sent in the same millisecond apart across a page boundary", async () => {
      const [{ fan_id }] = await sql<{ fan_id: number }>(
        "SELECT id AS fan_id FROM fans WHERE creator_id = 2 ORDER BY id LIMIT 1",
      );
      await sql(
        `INSERT INTO messages (creator_id, fan_id, direction, body, sent_at)
         SELECT 2, $1, 'fan_to_creator', 'same instant ' || i, now() + interval '1 day' FROM generate_series(1, 5) i`,
        [fan_id],
      );
      const expected = (
        await sql<{ id: number }>(
          "SELECT id FROM messages WHERE fan_id = $1 ORDER BY sent_at DESC, id DESC",
          [fan_id],
        )
      ).map((r) => r.id);
      const { ids } = await walk(`/creators/2/fans/${fan_id}/messages`, 2);
      assert.deepEqual(ids, expected);
    });

    it("answers 404 for a fan of another creator", async () => {
      const res = await call("GET", "/creators/2/fans/1/messages");
      assert.equal(res.status, 404);
      assert.match(res.body.error.message, /Fan 1 of creator 2 was not found/);
    });
  });

  describe("POST /creators/{id}/campaigns", () => {
    it("creates the campaign and one message per fan in one transaction", async () => {
      const [{ n }] = await sql<{ n: number }>(
        "SELECT count(*)::int AS n FROM fans WHERE creator_id = 1",
      );
      const res = await call("POST", "/creators/1/campaigns", {
        body: { body: "New set tonight!" },
        headers: { "idempotency-key": "campaign-0001" },
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.recipientCount, n);
      assert.equal(res.headers.location, `/creators/1/campaigns/${res.body.id}`);
      const [{ sent }] = await sql<{ sent: number }>(
        "SELECT count(*)::int AS sent FROM messages WHERE campaign_id = $1 AND direction = 'creator_to_fan' AND body = 'New set tonight!'",
        [res.body.id],
      );
      assert.equal(sent, n);
    });

    it("messages only the listed fans, once each", async () => {
      const fans = (
        await sql<{ id: number }>("SELECT id FROM fans WHERE creator_id = 2 ORDER BY id LIMIT 3")
      ).map((r) => r.id);
      const res = await call("POST", "/creators/2/campaigns", {
        body: { body: "Just you three", fanIds: [...fans, fans[0]] },
        headers: { "idempotency-key": "campaign-0002" },
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.recipientCount, 3);
      const rows = await sql<{ fan_id: number }>(
        "SELECT fan_id FROM messages WHERE campaign_id = $1 ORDER BY fan_id",
        [res.body.id],
      );
      assert.deepEqual(
        rows.map((r) => r.fan_id),
        fans,
      );
    });

    it("refuses fans of another creator and writes nothing", async () => {
      const before = await sql<{ c: number; m: number }>(
        "SELECT (SELECT count(*)::int FROM campaigns) AS c, (SELECT count(*)::int FROM messages) AS m",
      );
      const res = await call("POST", "/creators/2/campaigns", {
        body: { body: "Hi", fanIds: [1] },
        headers: { "idempotency-key": "campaign-0003" },
      });
      assert.equal(res.status, 400);
      assert.match(
        res.body.error.message,
        /body\.fanIds has 1 id\(s\) that are not fans of creator 2/,
      );
      const afterRows = await sql(
        "SELECT (SELECT count(*)::int FROM campaigns) AS c, (SELECT count(*)::int FROM messages) AS m",
      );
      assert.deepEqual(afterRows, before);
    });

    it("answers 404 for an unknown creator", async () => {
      assert.equal(
        (
          await call("POST", "/creators/999999/campaigns", {
            body: { body: "Hi" },
            headers: { "idempotency-key": "campaign-0004" },
          })
        ).status,
        404,
      );
    });
  });

  describe("POST /creators/{id}/transactions", () => {
    const purchase = { fanId: 4, type: "tip", amountCents: 1234 };

    it("records the purchase and updates the fan's totals atomically", async () => {
      const [before] = await sql<{ total_spent_cents: number; transaction_count: number }>(
        "SELECT total_spent_cents::int AS total_spent_cents, transaction_count FROM fans WHERE id = 4",
      );
      const res = await call("POST", "/creators/1/transactions", {
        body: purchase,
        headers: { "idempotency-key": "purchase-0001" },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.replayed, false);
      assert.equal(res.body.fan.lifetimeSpendCents, before.total_spent_cents + 1234);
      const [after] = await sql<{ total_spent_cents: number; transaction_count: number }>(
        "SELECT total_spent_cents::int AS total_spent_cents, transaction_count FROM fans WHERE id = 4",
      );
      assert.equal(after.total_spent_cents, before.total_spent_cents + 1234);
      assert.equal(after.transaction_count, before.transaction_count + 1);
      const [row] = await sql<{ day: Date; amount_cents: number }>(
        "SELECT to_char(day, 'YYYY-MM-DD') AS day, amount_cents::int AS amount_cents FROM transactions WHERE idempotency_key = 'purchase-0001'",
      );
      assert.equal(row.amount_cents, 1234);
      assert.equal(row.day, new Date().toISOString().slice(0, 10));
    });

    it("replays the same idempotency key without charging twice", async () => {
      const [before] = await sql<{ total_spent_cents: number }>(
        "SELECT total_spent_cents::int AS total_spent_cents FROM fans WHERE id = 4",
      );
      const first = await call("POST", "/creators/1/transactions", {
        body: { ...purchase, idempotencyKey: "purchase-0002" },
      });
      const again = await call("POST", "/creators/1/transactions", {
        body: { ...purchase, idempotencyKey: "purchase-0002" },
      });
      const viaHeader = await call("POST", "/creators/1/transactions", {
        body: purchase,
        headers: { "idempotency-key": "purchase-0002" },
      });
      assert.equal(first.status, 201);
      assert.equal(again.status, 200);
      assert.equal(again.body.replayed, true);
      assert.equal(again.body.id, first.body.id);
      assert.equal(viaHeader.body.id, first.body.id);
      const [after] = await sql<{ total_spent_cents: number }>(
        "SELECT total_spent_cents::int AS total_spent_cents FROM fans WHERE id = 4",
      );
      assert.equal(after.total_spent_cents, before.total_spent_cents + 1234);
      const rows = await sql("SELECT id FROM transactions WHERE idempotency_key = 'purchase-0002'");
      assert.equal(rows.length, 1);
    });

    it("keeps one purchase when the same key arrives concurrently", async () => {
      const [before] = await sql<{ total_spent_cents: number }>(
        "SELECT total_spent_cents::int AS total_spent_cents FROM fans WHERE id = 4",
      );
      const racing = testDatabase(db.url, { pool: { max: 4 } });
      try {
        const raceCall = apiClient(racing);
        const results = await Promise.all(
          Array.from({ length: 4 }, () =>
            raceCall("POST", "/creators/1/transactions", {
              body: purchase,
              headers: { "idempotency-key": "purchase-race" },
            }),
          ),
        );
        assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 200, 201]);
        assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
      } finally {
        await racing.disconnect();
      }
      const [after] = await sql<{ total_spent_cents: number }>(
        "SELECT total_spent_cents::int AS total_spent_cents FROM fans WHERE id = 4",
      );
      assert.equal(after.total_spent_cents, before.total_spent_cents + 1234);
    });

    it("answers 409 when a key is reused for a different purchase", async () => {
      await call("POST", "/creators/1/transactions", {
        body: purchase,
        headers: { "idempotency-key": "purchase-0003" },
      });
      const res = await call("POST", "/creators/1/transactions", {
        body: { ...purchase, amountCents: 999 },
        headers: { "idempotency-key": "purchase-0003" },
      });
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, "CONFLICT");
    });

    it("rolls back the inserted purchase when the fan belongs to another creator (no partial rows)", async () => {
      const [fanOfTwo] = await sql<{ id: number; total_spent_cents: number }>(
        "SELECT id, total_spent_cents::int AS total_spent_cents FROM fans WHERE creator_id = 2 ORDER BY id LIMIT 1",
      );
      const [{ max }] = await sql<{ max: number }>("SELECT max(id) AS max FROM transactions");
      const res = await call("POST", "/creators/1/transactions", {
        body: { ...purchase, fanId: fanOfTwo.id },
        headers: { "idempotency-key": "purchase-wrong-creator" },
      });
      assert.equal(res.status, 404);
      assert.deepEqual(
        await sql("SELECT id FROM transactions WHERE idempotency_key = 'purchase-wrong-creator'"),
        [],
      );
      const [after] = await sql<{ total_spent_cents: number }>(
        "SELECT total_spent_cents::int AS total_spent_cents FROM fans WHERE id = $1",
        [fanOfTwo.id],
      );
      assert.equal(after.total_spent_cents, fanOfTwo.total_spent_cents);
      // The rolled-back insert consumed a sequence value, which proves it ran inside the transaction.
      const [{ next }] = await sql<{ next: number }>(
        "SELECT nextval('transactions_id_seq')::int AS next",
      );
      assert.ok(next > max + 1);
    });

    it("answers 404 for a fan that does not exist", async () => {
      const res = await call("POST", "/creators/1/transactions", {
        body: { ...purchase, fanId: 999999 },
        headers: { "idempotency-key": "purchase-ghost" },
      });
      assert.equal(res.status, 404);
    });
  });

  describe("GET /creators/{id}/revenue", () => {
    it("sums revenue per day and type in the database, matching the raw rows", async () => {
      const res = await call("GET", "/creators/1/revenue", {
        query: { from: "2000-01-01", to: "2000-12-31" },
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.days, []);
      const to = new Date().toISOString().slice(0, 10);
      const from = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
      const full = await call("GET", "/creators/1/revenue", { query: { from, to } });
      const [expected] = await sql<{ total: string; n: number }>(
        "SELECT SUM(amount_cents) AS total, count(*)::int AS n FROM transactions WHERE creator_id = 1 AND day BETWEEN $1 AND $2",
        [from, to],
      );
      assert.equal(full.body.totalCents, Number(expected.total));
      assert.equal(full.body.transactionCount, expected.n);
      const byType = full.body.byType;
      assert.equal(byType.subscription + byType.tip + byType.ppv, full.body.totalCents);
      const keys = full.body.days.map((d: { day: string; type: string }) => `${d.day}/${d.type}`);
      assert.equal(new Set(keys).size, keys.length);
      // Ordered by day, then by the enum's declaration order (as PostgreSQL sorts enums).
      const order = ["subscription", "tip", "ppv"];
      const sorted = [...full.body.days].sort(
        (a: { day: string; type: string }, b: { day: string; type: string }) =>
          a.day.localeCompare(b.day) || order.indexOf(a.type) - order.indexOf(b.type),
      );
      assert.deepEqual(full.body.days, sorted);
    });

    it("defaults to the last 30 days", async () => {
      const res = await call("GET", "/creators/1/revenue");
      assert.equal(res.body.to, new Date().toISOString().slice(0, 10));
      assert.equal((Date.parse(res.body.to) - Date.parse(res.body.from)) / 86_400_000, 29);
    });

    it("answers 404 for an unknown creator and 400 for an inverted or too long range", async () => {
      assert.equal((await call("GET", "/creators/999999/revenue")).status, 404);
      const inverted = await call("GET", "/creators/1/revenue", {
        query: { from: "2026-02-01", to: "2026-01-01" },
      });
      assert.equal(inverted.status, 400);
      assert.match(inverted.body.error.message, /from must be on or before to/);
      const long = await call("GET", "/creators/1/revenue", {
        query: { from: "2020-01-01", to: "2026-01-01" },
      });
      assert.equal(long.status, 400);
      assert.match(long.body.error.message, /at most 366 days/);
    });
  });
});
