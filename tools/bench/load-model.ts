/**
 * The connection load model: N Lambda runtimes, each with its own `Database` (pool max 1, as
 * deployed) and its own API handler, against one real PostgreSQL whose `max_connections` is set
 * low, so N can be taken below and above what the server admits.
 *
 * Shared by the overload test (test/handlers/overload.spec.ts) and `npm run bench -- --only
 * capacity`. The application connects as a role without SUPERUSER, as on RDS, so PostgreSQL's
 * reserved slots stay reserved and a refused connection is the real 53300.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { gatewayClaimsAuthenticator } from "../../handlers/lib/auth";
import { createApiHandler } from "../../handlers/lib/http-handler";
import { createLogger } from "../../handlers/lib/logger";
import { applyMigrations, loadMigrationsFromDir } from "../../handlers/lib/migrations";
import { Database } from "../../handlers/lib/prisma";
import { createTracer } from "../../handlers/lib/tracer";
import { routes } from "../../handlers/routes";
import { type SeedOptions, seedDatabase } from "../../prisma/seed";
import { startEmbeddedPostgres, withClient, withDatabase } from "../dev/embedded-postgres";

/** Slots PostgreSQL keeps for superusers (the application role cannot use them). */
const SUPERUSER_RESERVED = 2;

export interface LimitedPostgres {
  /** Connection string of the application role (no SUPERUSER) to the seeded database. */
  appUrl: string;
  /** Connections the application role may open at once. */
  appSlots: number;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL admitting `appSlots` application connections, migrated and seeded.
 * Always stopped by `stop()` (its data directory is deleted).
 */
export async function startLimitedPostgres(
  appSlots: number,
  seed: SeedOptions,
): Promise<LimitedPostgres> {
  const server = await startEmbeddedPostgres({
    settings: {
      max_connections: String(appSlots + SUPERUSER_RESERVED),
      superuser_reserved_connections: String(SUPERUSER_RESERVED),
    },
  });
  try {
    const password = randomBytes(12).toString("hex");
    const adminDb = withDatabase(server.adminUrl, "huntaze_load");
    await withClient(server.adminUrl, async (c) => {
      await c.query("CREATE DATABASE huntaze_load");
      await c.query(`CREATE ROLE huntaze_app LOGIN PASSWORD '${password}'`);
    });
    await applyMigrations({
      connection: adminDb,
      migrations: await loadMigrationsFromDir("prisma/migrations"),
    });
    await withClient(adminDb, async (c) => {
      await seedDatabase(c, seed);
      await c.query(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO huntaze_app",
      );
      await c.query("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO huntaze_app");
    });
    const app = new URL(adminDb);
    app.username = "huntaze_app";
    app.password = password;
    return { appUrl: app.toString(), appSlots, stop: () => server.stop() };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** The app client id the simulated API accepts (deployed: the Cognito app client). */
const LOAD_CLIENT_ID = "loadclient0000000000000000";

function claimsFor(path: string): Record<string, string> {
  const creator = /^\/creators\/([^/]+)/.exec(path)?.[1] ?? "1";
  return {
    sub: `load-${creator}`,
    aud: LOAD_CLIENT_ID,
    token_use: "id",
    "custom:creator_id": creator,
  };
}

/** One simulated Lambda runtime: its own pool of 1 and its own handler. */
export interface Runtime {
  database: Database;
  call(path: string, query?: Record<string, string>): Promise<APIGatewayProxyResult>;
}

export function createRuntime(url: string): Runtime {
  const logger = createLogger({ level: "SILENT" });
  const database = new Database({
    logger,
    env: { stage: "local", serviceName: "huntaze-api", slowQueryMs: 10_000, databaseUrl: url },
    pool: { max: 1 },
  });
  const handler = createApiHandler({
    routes,
    database,
    logger,
    tracer: createTracer(),
    authenticator: gatewayClaimsAuthenticator({ audience: [LOAD_CLIENT_ID], tokenUse: "id" }),
  });
  return {
    database,
    call: (path, query) =>
      handler(
        {
          httpMethod: "GET",
          path,
          resource: "/{proxy+}",
          pathParameters: { proxy: path.slice(1) },
          queryStringParameters: query ?? null,
          multiValueQueryStringParameters: null,
          headers: {},
          multiValueHeaders: {},
          body: null,
          isBase64Encoded: false,
          stageVariables: null,
          // As the deployed stage passes it: the Cognito authorizer's claims for the path's creator.
          requestContext: {
            requestId: randomUUID(),
            authorizer: { claims: claimsFor(path) },
          } as unknown as APIGatewayProxyEvent["requestContext"],
        },
        { awsRequestId: randomUUID(), callbackWaitsForEmptyEventLoop: true } as Context,
      ),
  };
}

export interface LoadResult {
  runtimes: number;
  requests: number;
  served: number;
  unavailable: number;
  /** Any other status (a 500 here is a bug: overload must be a clean 503). */
  other: Record<number, number>;
  /** Every 503 carried Retry-After. */
  retryAfterOnEvery503: boolean;
  p50Ms: number;
  p95Ms: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * `runtimes` runtimes each send `requestsEach` requests one after the other (a runtime serves
 * one request at a time), all runtimes at once; every runtime is disconnected afterwards.
 */
export async function runLoad(
  url: string,
  runtimes: number,
  requestsEach: number,
  path = "/creators/1/fans",
  query: Record<string, string> = { limit: "20" },
): Promise<LoadResult> {
  const all = Array.from({ length: runtimes }, () => createRuntime(url));
  const durations: number[] = [];
  const result: LoadResult = {
    runtimes,
    requests: 0,
    served: 0,
    unavailable: 0,
    other: {},
    retryAfterOnEvery503: true,
    p50Ms: 0,
    p95Ms: 0,
  };
  try {
    await Promise.all(
      all.map(async (runtime) => {
        for (let i = 0; i < requestsEach; i++) {
          const started = performance.now();
          const res = await runtime.call(path, query);
          durations.push(performance.now() - started);
          result.requests++;
          if (res.statusCode === 200) result.served++;
          else if (res.statusCode === 503) {
            result.unavailable++;
            const headers = (res.headers ?? {}) as Record<string, unknown>;
            if (headers["retry-after"] === undefined) result.retryAfterOnEvery503 = false;
          } else result.other[res.statusCode] = (result.other[res.statusCode] ?? 0) + 1;
        }
      }),
    );
  } finally {
    await Promise.all(all.map((r) => r.database.disconnect()));
  }
  durations.sort((a, b) => a - b);
  result.p50Ms = percentile(durations, 50);
  result.p95Ms = percentile(durations, 95);
  return result;
}
