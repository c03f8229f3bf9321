/**
 * `npm run explain -- GET "/creators/1/fans?limit=50"` — runs one API request against
 * $DATABASE_URL through the real handler, captures the SQL Prisma sent, and prints
 * `EXPLAIN (ANALYZE, BUFFERS)` for each statement (in a rolled-back transaction). GET routes
 * only: the request itself really runs. `--json` prints the raw plans.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { explain, formatPlan } from "../../handlers/lib/explain";
import { createApiHandler } from "../../handlers/lib/http-handler";
import { createLogger } from "../../handlers/lib/logger";
import { Database } from "../../handlers/lib/prisma";
import { createTracer } from "../../handlers/lib/tracer";
import { routes } from "../../handlers/routes";
import { ephemeralIssuer } from "../dev/local-auth";
import { usageError } from "../lib/errors";
import { requireDatabaseUrl, runMain } from "./cli-support";

const USAGE = 'usage: npm run explain -- GET "<path?query>" [--json]';

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: "boolean", default: false } },
    allowPositionals: true,
    strict: true,
  });
  const [method, target] = positionals;
  if (!method || !target?.startsWith("/")) throw usageError(USAGE);
  if (method.toUpperCase() !== "GET") {
    // The request really runs (only the EXPLAINs are rolled back): a POST would write.
    throw usageError(
      `Only GET routes can be explained here: a ${method.toUpperCase()} would change data.\n${USAGE}`,
    );
  }
  const url = new URL(target, "http://localhost");
  const databaseUrl = requireDatabaseUrl("npm run explain");
  const database = new Database({
    env: { stage: "local", serviceName: "huntaze-api", slowQueryMs: 1_000_000, databaseUrl },
    logger: createLogger({ level: "SILENT" }),
  });
  try {
    // An operator tool: it signs itself a short-lived token for the creator in the path with a
    // throwaway key, so the request runs through the same authentication as the API's.
    const issuer = await ephemeralIssuer();
    const creator = /^\/creators\/([^/]+)/.exec(url.pathname)?.[1];
    const token = creator
      ? await issuer.sign({ creatorId: creator, expiresInSeconds: 60 })
      : undefined;
    const handler = createApiHandler({
      routes,
      database,
      logger: createLogger({ level: "SILENT" }),
      tracer: createTracer(),
      authenticator: issuer.authenticator,
    });
    const event = {
      httpMethod: method.toUpperCase(),
      path: url.pathname,
      queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : null,
      headers: {
        "content-type": "application/json",
        "idempotency-key": `explain-${randomUUID()}`,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: randomUUID() },
    } as unknown as APIGatewayProxyEvent;
    database.stats.keepSql(100);
    const result = await handler(event, { awsRequestId: randomUUID() } as Context);
    const statements = [...database.stats.recent];
    process.stdout.write(
      `${method.toUpperCase()} ${target} → ${result.statusCode}, ${statements.length} SQL statement(s)\n`,
    );
    const prisma = await database.client();
    for (const [i, statement] of statements.entries()) {
      const explained = await explain(prisma, statement);
      if (values.json) {
        process.stdout.write(`${JSON.stringify(explained, null, 2)}\n`);
        continue;
      }
      process.stdout.write(`\n#${i + 1} ${statement.sql}\n   params ${statement.params}\n`);
      process.stdout.write(
        `   planning ${explained.planningMs} ms, execution ${explained.executionMs} ms\n`,
      );
      for (const line of formatPlan(explained.plan)) process.stdout.write(`   ${line}\n`);
    }
    return 0;
  } finally {
    await database.disconnect();
  }
}

if (process.argv[1] === __filename) runMain(main);
