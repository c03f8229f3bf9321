import { strict as assert } from "node:assert";
import type { Database } from "../../handlers/lib/prisma";
import { MAX_BODY_BYTES } from "../../handlers/lib/validation";
import type { TestDatabase } from "../support/database";
import {
  apiClient,
  type CallResult,
  cognitoClaims,
  migratedDatabase,
  testDatabase,
  withClient,
} from "./helpers";

/** Every bad input gets a 400 (or 413/404/405) with the minimal body, and changes nothing. */
describe("input validation and error bodies", () => {
  let db: TestDatabase;
  let database: Database;
  let call: ReturnType<typeof apiClient>;
  let rowsBefore: unknown;

  const counts = () =>
    withClient(
      db.url,
      async (c) =>
        (
          await c.query(
            "SELECT (SELECT count(*) FROM transactions) t, (SELECT count(*) FROM messages) m, (SELECT count(*) FROM campaigns) c, (SELECT sum(total_spent_cents) FROM fans) s",
          )
        ).rows[0],
    );

  before(async () => {
    db = await migratedDatabase("validation");
    database = testDatabase(db.url);
    call = apiClient(database);
    rowsBefore = await counts();
  });
  after(async () => {
    await database.disconnect();
    await db.drop();
  });

  /** The error body has exactly { error: { code, message, requestId } } and leaks nothing. */
  function assertMinimalError(res: CallResult, status: number, field?: RegExp): void {
    assert.equal(res.status, status, res.raw);
    assert.deepEqual(Object.keys(res.body), ["error"]);
    assert.deepEqual(Object.keys(res.body.error).sort(), ["code", "message", "requestId"]);
    assert.equal(res.body.error.requestId, res.headers["x-request-id"]);
    assert.doesNotMatch(
      res.raw,
      /SELECT|INSERT|prisma|Prisma|\bat \w+ \(|node_modules|stack|constraint|"public"/,
    );
    if (field) assert.match(res.body.error.message, field);
  }

  const transaction = { fanId: 1, type: "tip", amountCents: 100 };
  const key = { "idempotency-key": "validation-key-1" };

  it("rejects ids that are negative, zero, decimal, signed, too large or not numbers", async () => {
    for (const id of ["-1", "0", "1.5", "+1", "1e3", "2147483648", "abc", "01"]) {
      assertMinimalError(
        await call("GET", `/creators/${id}/fans`, { claims: cognitoClaims(1) }),
        400,
        /^id must be a positive integer id/,
      );
    }
    assertMinimalError(await call("GET", "/creators/1/fans/-5/messages"), 400, /^fanId must be/);
  });

  it("rejects a limit outside 1..200 or not an integer, naming limit", async () => {
    for (const limit of ["0", "201", "100000", "-1", "ten", "1.5"]) {
      assertMinimalError(
        await call("GET", "/creators/1/fans", { query: { limit } }),
        400,
        /^limit must be an integer between 1 and 200/,
      );
    }
  });

  it("rejects a forged, truncated or SQL-looking cursor, naming cursor", async () => {
    const forged = Buffer.from(JSON.stringify({ id: "1 OR 1=1" })).toString("base64url");
    const wrongShape = Buffer.from(JSON.stringify({ at: "yesterday", id: 1 })).toString(
      "base64url",
    );
    for (const cursor of ["'; DROP TABLE fans; --", forged, "eyJpZCI6", "x".repeat(500)]) {
      assertMinimalError(
        await call("GET", "/creators/1/fans", { query: { cursor } }),
        400,
        /^cursor is not a cursor returned by this API/,
      );
    }
    assertMinimalError(
      await call("GET", "/creators/1/fans/1/messages", { query: { cursor: wrongShape } }),
      400,
      /^cursor is not a cursor/,
    );
  });

  it("rejects unknown query parameters, naming them", async () => {
    assertMinimalError(
      await call("GET", "/creators/1/fans", { query: { limt: "5" } }),
      400,
      /Unknown query parameter "limt" \(allowed: cursor, limit\)/,
    );
  });

  it("rejects dates that are not YYYY-MM-DD calendar days", async () => {
    for (const from of ["2026-02-30", "yesterday", "2026-1-1", "2026-01-01' OR '1'='1"]) {
      assertMinimalError(
        await call("GET", "/creators/1/revenue", { query: { from } }),
        400,
        /^from must be a date written YYYY-MM-DD/,
      );
    }
  });

  it("rejects malformed JSON, a non-object body and a non-JSON content type", async () => {
    assertMinimalError(
      await call("POST", "/creators/1/transactions", { rawBody: '{"fanId": 1,', headers: key }),
      400,
      /not valid JSON/,
    );
    assertMinimalError(
      await call("POST", "/creators/1/transactions", { rawBody: "[1,2]", headers: key }),
      400,
      /^body must be an object/,
    );
    assertMinimalError(
      await call("POST", "/creators/1/transactions", { rawBody: "", headers: key }),
      400,
      /must be a JSON object/,
    );
    assertMinimalError(
      await call("POST", "/creators/1/transactions", {
        rawBody: JSON.stringify(transaction),
        headers: { ...key, "content-type": "text/plain" },
      }),
      400,
      /content-type must be application\/json/,
    );
  });

  it("rejects wrong types and out-of-range values, naming the field", async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...transaction, fanId: "1" }, /^body\.fanId must be a positive integer id/],
      [{ ...transaction, fanId: -3 }, /^body\.fanId must be a positive integer id/],
      [
        { ...transaction, amountCents: 10.5 },
        /^body\.amountCents must be an integer number of cents/,
      ],
      [{ ...transaction, amountCents: 0 }, /^body\.amountCents must be at least 1/],
      [{ ...transaction, amountCents: 1e12 }, /^body\.amountCents must be at most 10000000/],
      [{ ...transaction, type: "refund" }, /^body\.type must be one of subscription, tip, ppv/],
      [{ ...transaction, type: "tip'; DROP TABLE transactions; --" }, /^body\.type must be one of/],
      [{ ...transaction, admin: true }, /^body has an unknown field "admin"/],
      [{ type: "tip", amountCents: 1 }, /^body\.fanId must be a positive integer id/],
    ];
    for (const [body, message] of cases) {
      assertMinimalError(
        await call("POST", "/creators/1/transactions", { body, headers: key }),
        400,
        message,
      );
    }
  });

  it("requires a well-formed idempotency key", async () => {
    assertMinimalError(
      await call("POST", "/creators/1/transactions", { body: transaction }),
      400,
      /idempotency key is required/,
    );
    assertMinimalError(
      await call("POST", "/creators/1/transactions", {
        body: transaction,
        headers: { "idempotency-key": "short" },
      }),
      400,
      /Idempotency-Key header must be 8-128 characters/,
    );
    assertMinimalError(
      await call("POST", "/creators/1/transactions", {
        body: { ...transaction, idempotencyKey: "other-key-123" },
        headers: key,
      }),
      400,
      /differ/,
    );
  });

  it("rejects campaign bodies that are empty, too long or list bad fan ids", async () => {
    assertMinimalError(
      await call("POST", "/creators/1/campaigns", { body: { body: "   " } }),
      400,
      /^body\.body must not be empty/,
    );
    assertMinimalError(
      await call("POST", "/creators/1/campaigns", { body: { body: "x".repeat(4001) } }),
      400,
      /^body\.body must be at most 4000 characters/,
    );
    assertMinimalError(
      await call("POST", "/creators/1/campaigns", { body: { body: "hi", fanIds: [1, "2"] } }),
      400,
      /^body\.fanIds\[1\] must be a positive integer id/,
    );
    assertMinimalError(
      await call("POST", "/creators/1/campaigns", { body: { body: "hi", fanIds: [] } }),
      400,
      /^body\.fanIds must list at least one/,
    );
  });

  it("refuses an oversize body with 413 before parsing it", async () => {
    const huge = JSON.stringify({ body: "x".repeat(MAX_BODY_BYTES) });
    assertMinimalError(
      await call("POST", "/creators/1/campaigns", { rawBody: huge }),
      413,
      /at most 65536 bytes/,
    );
  });

  it("answers 404 for an unknown route and 405 (with Allow) for a wrong method", async () => {
    const claims = cognitoClaims(1);
    assertMinimalError(await call("GET", "/creators", { claims }), 404);
    assertMinimalError(await call("GET", "/admin/../creators/1/fans", { claims }), 404);
    const wrong = await call("DELETE", "/creators/1/fans");
    assertMinimalError(wrong, 405);
    assert.equal(wrong.headers.allow, "GET, HEAD, OPTIONS");
  });

  it("refuses values PostgreSQL cannot store, naming the field, before any query", async () => {
    assertMinimalError(
      await call("GET", "/creators/1/revenue", { query: { from: "0000-01-01", to: "2026-01-01" } }),
      400,
      /^from must be a date with a year between 0001 and 9999/,
    );
    const yearZero = Buffer.from(
      JSON.stringify({ at: "0000-01-01T00:00:00.000Z", id: 5 }),
    ).toString("base64url");
    assertMinimalError(
      await call("GET", "/creators/1/fans/1/messages", { query: { cursor: yearZero } }),
      400,
      /^cursor is not a cursor/,
    );
    assertMinimalError(
      await call("POST", "/creators/1/campaigns", {
        body: { body: "hi\u0000there" },
        headers: { "idempotency-key": "nul-byte-0001" },
      }),
      400,
      /^body\.body must not contain NUL characters/,
    );
    assertMinimalError(
      await call("POST", "/creators/1/campaigns", {
        rawBody: '{"body":"half \\ud800 pair"}',
        headers: { "idempotency-key": "surrogate-0001" },
      }),
      400,
      /^body\.body must not contain unpaired surrogate/,
    );
  });

  it("requires a valid idempotency key on every POST that creates data", async () => {
    for (const path of ["/creators/1/campaigns", "/creators/1/transactions"]) {
      const body = path.endsWith("campaigns")
        ? { body: "hello" }
        : { fanId: 1, type: "tip", amountCents: 100 };
      assertMinimalError(await call("POST", path, { body }), 400, /idempotency key is required/);
      assertMinimalError(
        await call("POST", path, { body, headers: { "idempotency-key": "short" } }),
        400,
        /Idempotency-Key header must be 8-128 characters/,
      );
    }
  });

  it("answers HEAD like GET without a body, OPTIONS with Allow and no CORS headers", async () => {
    const head = await call("HEAD", "/creators/1/fans");
    assert.equal(head.status, 200);
    assert.equal(head.raw, "");
    const missing = await call("HEAD", "/creators/999999/fans");
    assert.equal(missing.status, 404);
    assert.equal(missing.raw, "");
    const options = await call("OPTIONS", "/creators/1/transactions");
    assert.equal(options.status, 204);
    assert.equal(options.headers.allow, "POST, OPTIONS");
    assert.ok(!Object.keys(options.headers).some((h) => h.startsWith("access-control-")));
    // An unknown path answers 404 to an authenticated caller (and 401 without a token, like
    // API Gateway's authorizer on {proxy+}).
    assert.equal((await call("OPTIONS", "/nowhere", { claims: cognitoClaims(1) })).status, 404);
    assert.equal((await call("OPTIONS", "/nowhere")).status, 401);
  });

  it("changed no row while refusing all of the above", async () => {
    assert.deepEqual(await counts(), rowsBefore);
  });
});
