import { strict as assert } from "node:assert";
import type { Database } from "../../handlers/lib/prisma";
import { onShutdown, runShutdown } from "../../handlers/lib/shutdown";
import type { TestDatabase } from "../support/database";
import { apiClient, migratedDatabase, testDatabase, withClient } from "./helpers";

describe("graceful shutdown", () => {
  let db: TestDatabase;
  let database: Database;

  before(async () => {
    db = await migratedDatabase("shutdown", false);
    database = testDatabase(db.url);
  });
  after(async () => {
    await database.disconnect();
    await db.drop();
  });

  const sessions = () =>
    withClient(db.url, async (c) => {
      const { rows } = await c.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'huntaze-api'",
      );
      return rows[0].n;
    });

  it("closes the runtime's database session when the shutdown closers run (what SIGTERM triggers)", async () => {
    assert.equal((await apiClient(database)("GET", "/health")).status, 200);
    assert.equal(await sessions(), 1);
    const unregister = onShutdown(() => database.disconnect());
    try {
      await runShutdown();
    } finally {
      unregister();
    }
    assert.equal(await sessions(), 0);
  });

  it("reconnects on the next request if the runtime is reused after a disconnect", async () => {
    await database.disconnect();
    assert.equal((await apiClient(database)("GET", "/health")).status, 200);
  });
});
