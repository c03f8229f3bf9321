import { strict as assert } from "node:assert";
import type { Database } from "../../handlers/lib/prisma";
import { createTracer } from "../../handlers/lib/tracer";
import { createWorkerHandler, dayToRollUp, WorkerEventError } from "../../handlers/worker";
import type { TestDatabase } from "../support/database";
import { lambdaContext, migratedDatabase, quietLogger, testDatabase, withClient } from "./helpers";

describe("worker: daily revenue roll-up", () => {
  let db: TestDatabase;
  let database: Database;
  let handler: ReturnType<typeof createWorkerHandler>;
  let day: string;

  const rollupRows = () =>
    withClient(
      db.url,
      async (c) =>
        (
          await c.query(
            "SELECT creator_id, type::text, amount_cents::int AS amount, transaction_count FROM daily_revenue WHERE day = $1 ORDER BY creator_id, type",
            [day],
          )
        ).rows,
    );
  const expectedRows = () =>
    withClient(
      db.url,
      async (c) =>
        (
          await c.query(
            "SELECT creator_id, type::text, SUM(amount_cents)::int AS amount, COUNT(*)::int AS transaction_count FROM transactions WHERE day = $1 GROUP BY creator_id, type ORDER BY creator_id, type",
            [day],
          )
        ).rows,
    );

  before(async () => {
    db = await migratedDatabase("worker");
    database = testDatabase(db.url);
    handler = createWorkerHandler({ database, logger: quietLogger(), tracer: createTracer() });
    [{ day }] = await withClient(
      db.url,
      async (c) =>
        (
          await c.query(
            "SELECT to_char(day, 'YYYY-MM-DD') AS day FROM transactions GROUP BY day ORDER BY count(*) DESC LIMIT 1",
          )
        ).rows,
    );
  });
  after(async () => {
    await database.disconnect();
    await db.drop();
  });

  it("rolls up a day per creator and type, equal to the transactions' sums", async () => {
    const result = await handler({ day }, lambdaContext());
    const expected = await expectedRows();
    assert.equal(result.day, day);
    assert.equal(result.rows, expected.length);
    assert.deepEqual(await rollupRows(), expected);
  });

  it("is idempotent: running the same day again gives the same rows", async () => {
    const before = await rollupRows();
    await handler({ day });
    await handler({ day });
    assert.deepEqual(await rollupRows(), before);
  });

  it("follows late changes: a new purchase updates its row, a type with no purchases left loses its row", async () => {
    const insertLate = () =>
      withClient(db.url, (c) =>
        c.query(
          `INSERT INTO transactions (creator_id, fan_id, type, amount_cents, occurred_at, day, idempotency_key)
           SELECT creator_id, id, 'ppv', 777, $1::date + time '12:00', $1::date, 'late-purchase'
           FROM fans WHERE creator_id = 3 ORDER BY id LIMIT 1`,
          [day],
        ),
      );
    await withClient(db.url, (c) =>
      c.query("DELETE FROM transactions WHERE day = $1 AND creator_id = 3 AND type = 'ppv'", [day]),
    );
    await insertLate();
    await handler({ day });
    const withLate = await rollupRows();
    assert.ok(withLate.some((r) => r.creator_id === 3 && r.type === "ppv" && r.amount === 777));
    await withClient(db.url, (c) =>
      c.query("DELETE FROM transactions WHERE idempotency_key = 'late-purchase'"),
    );
    const result = await handler({ day });
    assert.equal(result.removed, 1);
    const after = await rollupRows();
    assert.ok(!after.some((r) => r.creator_id === 3 && r.type === "ppv"));
    assert.deepEqual(after, await expectedRows());
  });

  it("rolls up yesterday (UTC) for an EventBridge scheduled event", () => {
    assert.equal(
      dayToRollUp({ "detail-type": "Scheduled Event", time: "2026-11-28T00:05:00Z" }),
      "2026-11-27",
    );
    assert.equal(dayToRollUp({ day: "2026-01-31" }), "2026-01-31");
  });

  it("rejects an event it does not understand, so the invocation fails and reaches the DLQ", async () => {
    assert.throws(() => dayToRollUp({ day: "2026-02-30" }), WorkerEventError);
    await assert.rejects(handler({ hello: "world" }), /expects an EventBridge scheduled event/);
  });
});
