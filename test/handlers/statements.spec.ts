import { strict as assert } from "node:assert";
import { explain, planNodes } from "../../handlers/lib/explain";
import type { Database } from "../../handlers/lib/prisma";
import type { TestDatabase } from "../support/database";
import { apiClient, migratedDatabase, testDatabase } from "./helpers";

/** SQL statements per request, from Prisma's query events: the no-N+1 proof. */
describe("SQL statements per request", () => {
  let db: TestDatabase;
  let database: Database;
  let call: ReturnType<typeof apiClient>;

  before(async () => {
    db = await migratedDatabase("statements", {
      creators: 2,
      fans: 500,
      messages: 5000,
      longConversation: 500,
      transactions: 500,
      days: 30,
    });
    database = testDatabase(db.url);
    call = apiClient(database);
    await call("GET", "/health"); // connect outside the measurements
  });
  after(async () => {
    await database.disconnect();
    await db.drop();
  });

  async function statementsOf(
    method: string,
    path: string,
    options = {},
  ): Promise<{ count: number; sql: string[] }> {
    database.stats.keepSql(50);
    const before = database.stats.snapshot();
    const res = await call(method, path, options);
    assert.ok(res.status < 300, `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return {
      count: database.stats.since(before).statements,
      sql: database.stats.recent.map((s) => s.sql),
    };
  }

  it("lists fans with their latest message in one statement whatever the page size (10, 50, 200)", async () => {
    for (const limit of ["10", "50", "200"]) {
      const { count, sql } = await statementsOf("GET", "/creators/1/fans", { query: { limit } });
      assert.equal(count, 1, `limit ${limit}: ${sql.join("\n")}`);
      assert.match(sql[0], /LEFT JOIN LATERAL/);
      // SQL through Prisma, not a model query: nothing for the query compiler to plan.
      assert.match(sql[0], /^\/\* Fan\.page \*\//);
    }
  });

  it("pages through a conversation in one statement whatever the page size or depth", async () => {
    let cursor: string | undefined;
    for (const limit of ["10", "50", "200"]) {
      const res = await call("GET", "/creators/1/fans/1/messages", {
        query: { limit, ...(cursor ? { cursor } : {}) },
      });
      cursor = res.body.nextCursor;
      const { count, sql } = await statementsOf("GET", "/creators/1/fans/1/messages", {
        query: { limit, ...(cursor ? { cursor } : {}) },
      });
      assert.equal(count, 1, `limit ${limit}`);
      assert.match(sql[0], /^\/\* Message\.page \*\//);
    }
  });

  it("aggregates revenue in one GROUP BY statement", async () => {
    const { count, sql } = await statementsOf("GET", "/creators/1/revenue");
    assert.equal(count, 1);
    assert.match(sql[0], /GROUP BY/);
  });

  it("records a purchase in the same four statements for any fan: replay check, INSERT, UPDATE, COMMIT", async () => {
    for (const [i, fanId] of [1, 3, 5].entries()) {
      const { count, sql } = await statementsOf("POST", "/creators/1/transactions", {
        body: { fanId, type: "ppv", amountCents: 700 + i },
        headers: { "idempotency-key": `statements-${i}-abcdef` },
      });
      // (adapter-pg sends BEGIN itself; Prisma's query events report COMMIT but not BEGIN.)
      assert.equal(count, 4, sql.join("\n"));
      assert.deepEqual(
        sql.map((s) => s.split(" ")[0]),
        ["SELECT", "INSERT", "UPDATE", "COMMIT"],
      );
    }
  });

  it("sends a campaign in a few batched statements, not one per recipient", async () => {
    const small = await statementsOf("POST", "/creators/1/campaigns", {
      body: { body: "a", fanIds: [1, 3] },
      headers: { "idempotency-key": "statements-campaign-a" },
    });
    const all = await statementsOf("POST", "/creators/1/campaigns", {
      body: { body: "b" },
      headers: { "idempotency-key": "statements-campaign-b" },
    }); // 250 fans
    assert.equal(
      all.count,
      small.count,
      `2 recipients: ${small.count}, 250 recipients: ${all.count}`,
    );
    assert.ok(all.sql.some((s) => /INSERT INTO "public"\."messages"/.test(s)));
  });

  it("reads the latest message through the (fan_id, sent_at DESC, id DESC) index, not a scan of messages", async () => {
    database.stats.keepSql(5);
    await call("GET", "/creators/1/fans", { query: { limit: "50" } });
    const [statement] = database.stats.recent;
    const { plan } = await explain(await database.client(), statement);
    const onMessages = planNodes(plan).filter((n) => n["Relation Name"] === "messages");
    assert.ok(onMessages.length > 0);
    for (const node of onMessages) {
      assert.notEqual(node["Node Type"], "Seq Scan", JSON.stringify(node));
      assert.equal(node["Index Name"], "messages_fan_id_sent_at_id_idx");
    }
  });
});
