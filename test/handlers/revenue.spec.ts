import { strict as assert } from "node:assert";
import { rollUpDailyRevenue } from "../../handlers/jobs/daily-revenue";
import type { Database } from "../../handlers/lib/prisma";
import type { TestDatabase } from "../support/database";
import { apiClient, migratedDatabase, testDatabase, withClient } from "./helpers";

const DAY_MS = 86_400_000;
const dayOffset = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString().slice(0, 10);

/** The revenue route without Accelerate: the roll-up for closed days, a live sum for the rest. */
describe("GET /creators/{id}/revenue over the daily roll-up", () => {
  let db: TestDatabase;
  let database: Database;
  let call: ReturnType<typeof apiClient>;
  const from = dayOffset(20);
  const to = dayOffset(0);

  before(async () => {
    db = await migratedDatabase("revenue");
    database = testDatabase(db.url);
    call = apiClient(database);
  });
  after(async () => {
    await database.disconnect();
    await db.drop();
  });

  const sql = <T>(text: string, params: unknown[] = []) =>
    withClient(db.url, async (client) => (await client.query(text, params)).rows as T[]);

  async function liveDays(): Promise<unknown[]> {
    const rows = await sql<{ day: string; type: string; amount: string; n: string }>(
      `SELECT to_char(t.day, 'YYYY-MM-DD') AS day, t.type::text AS type,
              SUM(t.amount_cents) AS amount, COUNT(*) AS n
       FROM transactions t WHERE t.creator_id = 1 AND t.day BETWEEN $1 AND $2
       GROUP BY t.day, t.type ORDER BY t.day, t.type`,
      [from, to],
    );
    return rows.map((r) => ({
      day: r.day,
      type: r.type,
      amountCents: Number(r.amount),
      transactionCount: Number(r.n),
    }));
  }

  it("answers the same days before and after the roll-up, and reads closed days from daily_revenue", async () => {
    const before = await call("GET", "/creators/1/revenue", { query: { from, to } });
    assert.equal(before.status, 200);
    assert.deepEqual(before.body.days, await liveDays());
    assert.ok(before.body.days.length > 0, "the seed has purchases in the range");

    // The worker rolls up every closed day (yesterday back to `from`), as its nightly runs would.
    for (let d = 20; d >= 1; d--) await rollUpDailyRevenue(database, dayOffset(d));
    const after = await call("GET", "/creators/1/revenue", { query: { from, to } });
    assert.deepEqual(after.body, before.body);

    // Proof that closed days come from the roll-up: a marked roll-up row shows through…
    const closed = dayOffset(5);
    await sql(
      "UPDATE daily_revenue SET amount_cents = 123456789 WHERE creator_id = 1 AND day = $1 AND type = 'tip'",
      [closed],
    );
    const marked = await call("GET", "/creators/1/revenue", { query: { from, to } });
    const tip = marked.body.days.find(
      (d: { day: string; type: string }) => d.day === closed && d.type === "tip",
    );
    assert.equal(tip?.amountCents, 123456789);
    await rollUpDailyRevenue(database, closed); // (the roll-up is idempotent: it repairs the row)

    // …while today, never rolled up, is summed live: a purchase made now appears at once.
    const res = await call("POST", "/creators/1/transactions", {
      body: { fanId: 1, type: "ppv", amountCents: 777 },
      headers: { "idempotency-key": "revenue-live-today" },
    });
    assert.equal(res.status, 201);
    const live = await call("GET", "/creators/1/revenue", { query: { from, to } });
    assert.equal(live.body.totalCents, before.body.totalCents + 777);
    assert.deepEqual(live.body.days, await liveDays());
  });

  it("sums days after the roll-up's last day live (yesterday before the nightly run)", async () => {
    // Remove the latest rolled-up day: the watermark moves back and that day is summed live.
    await sql("DELETE FROM daily_revenue WHERE day = $1", [dayOffset(1)]);
    const res = await call("GET", "/creators/1/revenue", { query: { from, to } });
    assert.deepEqual(res.body.days, await liveDays());
  });

  it("still answers 404 for an unknown creator and an empty list for a creator without sales", async () => {
    assert.equal((await call("GET", "/creators/999999/revenue")).status, 404);
    const empty = await call("GET", "/creators/1/revenue", {
      query: { from: "2001-01-01", to: "2001-01-31" },
    });
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body.days, []);
  });
});
