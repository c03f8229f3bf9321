/**
 * Counters for what the database did: SQL statements (from Prisma's `query` events, one per
 * statement sent; with adapter-pg a transaction's COMMIT/ROLLBACK is reported, its BEGIN is
 * not) and Prisma operations with their time.
 *
 * They are monotonic; a request's share is the difference of two snapshots. A Lambda runtime
 * serves one request at a time, so that share is exact there; under `npm run dev` concurrent
 * requests would blur it (it is only logged).
 */
export interface QueryStatsSnapshot {
  statements: number;
  operations: number;
  operationMs: number;
}

/** One SQL statement as Prisma sent it: text and JSON-encoded parameters. */
export interface RecordedStatement {
  sql: string;
  params: string;
}

export class QueryStats {
  statements = 0;
  operations = 0;
  operationMs = 0;
  /** Statements kept after `keepSql(n)` (tests and the EXPLAIN tool); at most n. */
  readonly recent: RecordedStatement[] = [];
  #keep = 0;

  /** Keep the SQL text of the next `count` statements in `recent`. */
  keepSql(count: number): void {
    this.#keep = count;
    this.recent.length = 0;
  }

  recordStatement(sql: string, params = "[]"): void {
    this.statements += 1;
    if (this.recent.length < this.#keep) this.recent.push({ sql, params });
  }

  recordOperation(durationMs: number): void {
    this.operations += 1;
    this.operationMs += durationMs;
  }

  snapshot(): QueryStatsSnapshot {
    return {
      statements: this.statements,
      operations: this.operations,
      operationMs: this.operationMs,
    };
  }

  since(before: QueryStatsSnapshot): QueryStatsSnapshot {
    return {
      statements: this.statements - before.statements,
      operations: this.operations - before.operations,
      operationMs: Math.round((this.operationMs - before.operationMs) * 100) / 100,
    };
  }
}
