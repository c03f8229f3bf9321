import { strict as assert } from "node:assert";
import {
  createRuntime,
  type LimitedPostgres,
  runLoad,
  startLimitedPostgres,
} from "../../tools/bench/load-model";

const SLOTS = 4;

/**
 * More Lambda runtimes (separate pools of 1) than PostgreSQL admits: the refused ones answer
 * 503 with Retry-After — never 500 — and recover once connections free up.
 */
describe("overload: more runtimes than max_connections", function () {
  this.timeout(120_000);
  let server: LimitedPostgres;

  before(async () => {
    server = await startLimitedPostgres(SLOTS, {
      creators: 2,
      fans: 40,
      messages: 200,
      longConversation: 50,
      transactions: 100,
      days: 10,
    });
  });
  after(() => server?.stop());

  it("serves every request while the runtimes fit", async () => {
    const result = await runLoad(server.appUrl, SLOTS, 3);
    assert.deepEqual(
      { served: result.served, unavailable: result.unavailable, other: result.other },
      { served: SLOTS * 3, unavailable: 0, other: {} },
    );
  });

  it("answers 503 with Retry-After, never 500, to the runtimes PostgreSQL refuses (53300)", async () => {
    const result = await runLoad(server.appUrl, SLOTS * 3, 2);
    assert.deepEqual(result.other, {}, `no status besides 200 and 503: ${JSON.stringify(result)}`);
    assert.ok(result.served > 0, "the runtimes that got a connection are served");
    assert.ok(result.unavailable > 0, "some runtimes were refused");
    assert.ok(result.retryAfterOnEvery503);
    assert.equal(result.served + result.unavailable, SLOTS * 3 * 2);
  });

  it("names the condition to the caller without internals, and recovers once a slot frees", async () => {
    const holders = Array.from({ length: SLOTS }, () => createRuntime(server.appUrl));
    const refused = createRuntime(server.appUrl);
    try {
      for (const h of holders) assert.equal((await h.call("/creators/1/fans")).statusCode, 200);
      const res = await refused.call("/creators/1/fans");
      assert.equal(res.statusCode, 503);
      assert.equal((res.headers as Record<string, string>)["retry-after"], "1");
      const body = JSON.parse(res.body);
      assert.equal(body.error.code, "DATABASE_UNAVAILABLE");
      assert.doesNotMatch(res.body, /53300|too many|slots|SUPERUSER/i);
      await holders[0].database.disconnect(); // one runtime frozen / recycled by Lambda
      assert.equal((await refused.call("/creators/1/fans")).statusCode, 200);
    } finally {
      await Promise.all([...holders, refused].map((r) => r.database.disconnect()));
    }
  });
});
