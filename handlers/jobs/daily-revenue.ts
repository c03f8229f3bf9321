/**
 * The daily revenue roll-up: one row per creator, UTC day and transaction type in
 * `daily_revenue`, recomputed from `transactions` by PostgreSQL in one INSERT … SELECT … GROUP BY.
 *
 * Idempotent: running it again for the same day gives the same rows (stale ones are deleted,
 * present ones upserted), in one transaction, so a retried or duplicated schedule is harmless.
 */
import type { Database } from "../lib/prisma";

export interface RollupResult {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  /** Rows written for that day (creators × types with at least one purchase). */
  rows: number;
  /** Rows removed because their creator/type no longer has purchases that day. */
  removed: number;
}

export async function rollUpDailyRevenue(db: Database, day: string): Promise<RollupResult> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
    throw new Error(`rollUpDailyRevenue: day must be YYYY-MM-DD (got "${day}").`);
  }
  return db.run((prisma) =>
    prisma.$transaction(async (tx) => {
      // Serialise concurrent roll-ups of the same day (retries, overlapping schedules).
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('daily_revenue'), hashtext(${day}))`;
      const rows = await tx.$executeRaw`
        INSERT INTO daily_revenue (creator_id, day, type, amount_cents, transaction_count, computed_at)
        SELECT creator_id, day, type, SUM(amount_cents), COUNT(*), now()
        FROM transactions
        WHERE day = ${day}::date
        GROUP BY creator_id, day, type
        ON CONFLICT (creator_id, day, type) DO UPDATE
          SET amount_cents = EXCLUDED.amount_cents,
              transaction_count = EXCLUDED.transaction_count,
              computed_at = EXCLUDED.computed_at`;
      const removed = await tx.$executeRaw`
        DELETE FROM daily_revenue d
        WHERE d.day = ${day}::date
          AND NOT EXISTS (
            SELECT 1 FROM transactions t
            WHERE t.day = d.day AND t.creator_id = d.creator_id AND t.type = d.type)`;
      return { day, rows, removed };
    }),
  );
}
