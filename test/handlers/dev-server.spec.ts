import { strict as assert } from "node:assert";
import { createLogger } from "../../handlers/lib/logger";
import { type DevServer, startDevServer } from "../../tools/dev/server";
import type { TestDatabase } from "../support/database";
import { migratedDatabase } from "./helpers";

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are asserted field by field.
const json = async (res: Response): Promise<any> => res.json();

/** `npm run dev`: the README's curl calls, over real HTTP, through the Lambda handler. */
describe("dev server", () => {
  let db: TestDatabase;
  let server: DevServer;

  before(async () => {
    db = await migratedDatabase("devserver", false);
    server = await startDevServer({
      port: 0,
      databaseUrl: db.url,
      logger: createLogger({ level: "SILENT" }),
      print: () => undefined,
    });
  });
  after(async () => {
    await server?.close();
    await db.drop();
  });

  it("migrates and seeds the database, then answers the health check", async () => {
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal((await json(res)).connectionMode, "adapter-pg");
  });

  it("translates the path and query string into the proxy event the routes read", async () => {
    const res = await fetch(`${server.url}/creators/1/fans?limit=2`);
    assert.equal(res.status, 200);
    const body = await json(res);
    assert.equal(body.data.length, 2);
    assert.equal(typeof body.nextCursor, "string");
    const next = await fetch(`${server.url}/creators/1/fans?limit=2&cursor=${body.nextCursor}`);
    assert.notEqual((await json(next)).data[0].id, body.data[0].id);
  });

  it("passes headers and the JSON body of a POST", async () => {
    const res = await fetch(`${server.url}/creators/1/transactions`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": "dev-server-order-1" },
      body: JSON.stringify({ fanId: 1, type: "tip", amountCents: 500 }),
    });
    assert.equal(res.status, 201);
    assert.equal((await json(res)).replayed, false);
    assert.ok(res.headers.get("x-request-id"));
  });

  it("refuses a busy port in one line, before starting any database", async () => {
    const port = Number(new URL(server.url).port);
    const started = Date.now();
    // No databaseUrl: were the port checked after the database, a PostgreSQL would start here.
    await assert.rejects(
      startDevServer({ port, databaseUrl: "", print: () => undefined }),
      (err: Error) =>
        err.name === "ToolError" &&
        /^Port \d+ is already in use .*pass --port N\.$/.test(err.message),
    );
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });
});
