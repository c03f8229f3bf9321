import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createLogger } from "../../handlers/lib/logger";
import { type DevServer, startDevServer } from "../../tools/dev/server";
import type { TestDatabase } from "../support/database";
import { migratedDatabase } from "./helpers";

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are asserted field by field.
const json = async (res: Response): Promise<any> => res.json();

const run = promisify(execFile);

/**
 * `npm run -s dev:token -- …` exactly as documented (a child process, through npm), with the
 * key directory of this test: resolves to its stdout, or rejects with its exit code and stderr.
 */
async function devToken(keyDir: string, ...args: string[]): Promise<string> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const { stdout } = await run(npm, ["run", "-s", "dev:token", "--", ...args], {
    env: { ...process.env, HUNTAZE_DEV_KEY_DIR: keyDir },
    timeout: 60_000,
  });
  return stdout;
}

const lastWord = (output: string) => output.trim().split(/\s+/).pop() ?? "";

/** `npm run dev`: the README's curl calls, over real HTTP, through the Lambda handler. */
describe("dev server", () => {
  let db: TestDatabase;
  let server: DevServer;
  let keyDir: string;
  let token: string;
  const printed: string[] = [];
  const bearer = () => ({ authorization: `Bearer ${token}` });

  before(async () => {
    keyDir = await mkdtemp(join(tmpdir(), "huntaze-dev-key-"));
    db = await migratedDatabase("devserver", false);
    server = await startDevServer({
      port: 0,
      databaseUrl: db.url,
      logger: createLogger({ level: "SILENT" }),
      print: (line) => printed.push(line),
      keyDir,
    });
    token = lastWord(await devToken(keyDir, "--creator", "1"));
  });
  after(async () => {
    await server?.close();
    await db.drop();
    await rm(keyDir, { recursive: true, force: true });
  });

  it("creates a private signing key at start and says where", async () => {
    assert.deepEqual(await readdir(keyDir), ["signing-key.json"]);
    assert.equal((await stat(join(keyDir, "signing-key.json"))).mode & 0o077, 0);
    assert.ok(printed.some((line) => line.includes(keyDir)));
  });

  it("npm run dev:token prints a token (last word) the running server accepts", async () => {
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const res = await fetch(`${server.url}/creators/1/revenue`, { headers: bearer() });
    assert.equal(res.status, 200);
  });

  it("answers 401 without a token, 404 with another creator's, except /health", async () => {
    const none = await fetch(`${server.url}/creators/1/fans`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="huntaze-api"');
    assert.deepEqual(Object.keys((await json(none)).error).sort(), [
      "code",
      "message",
      "requestId",
    ]);
    const other = await fetch(`${server.url}/creators/2/fans`, { headers: bearer() });
    assert.equal(other.status, 404);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });

  it("refuses a dev:token token once --expires-in has passed", async () => {
    const short = lastWord(await devToken(keyDir, "--creator", "1", "--expires-in", "1"));
    // The verifier allows 5 s of clock skew, like the deployed one.
    await new Promise((resolve) => setTimeout(resolve, 7000));
    const res = await fetch(`${server.url}/creators/1/fans`, {
      headers: { authorization: `Bearer ${short}` },
    });
    assert.equal(res.status, 401);
  }).timeout(30_000);

  it("dev:token refuses a bad --creator or --expires-in, naming the option", async () => {
    for (const args of [["--creator", "abc"], ["--creator", "1", "--expires-in", "0"], []]) {
      await assert.rejects(devToken(keyDir, ...args), (err: { code?: number; stderr?: string }) => {
        assert.notEqual(err.code, 0);
        assert.match(err.stderr ?? "", /--creator|--expires-in/);
        return true;
      });
    }
  });

  it("migrates and seeds the database, then answers the health check", async () => {
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal((await json(res)).connectionMode, "adapter-pg");
  });

  it("translates the path and query string into the proxy event the routes read", async () => {
    const res = await fetch(`${server.url}/creators/1/fans?limit=2`, { headers: bearer() });
    assert.equal(res.status, 200);
    const body = await json(res);
    assert.equal(body.data.length, 2);
    assert.equal(typeof body.nextCursor, "string");
    const next = await fetch(`${server.url}/creators/1/fans?limit=2&cursor=${body.nextCursor}`, {
      headers: bearer(),
    });
    assert.notEqual((await json(next)).data[0].id, body.data[0].id);
  });

  it("passes headers and the JSON body of a POST", async () => {
    const res = await fetch(`${server.url}/creators/1/transactions`, {
      method: "POST",
      headers: {
        ...bearer(),
        "content-type": "application/json",
        "idempotency-key": "dev-server-order-1",
      },
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
