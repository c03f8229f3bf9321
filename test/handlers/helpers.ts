/**
 * Shared set-up of the handler tests: a migrated, seeded database on the run's PostgreSQL, an
 * API handler wired to it exactly as in Lambda (only the logger is quiet), and `call()` to send
 * it REST proxy events.
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { type Authenticator, gatewayClaimsAuthenticator } from "../../handlers/lib/auth";
import { createApiHandler } from "../../handlers/lib/http-handler";
import { createLogger, type Logger } from "../../handlers/lib/logger";
import { applyMigrations, loadMigrationsFromDir } from "../../handlers/lib/migrations";
import { Database, type DatabaseOptions } from "../../handlers/lib/prisma";
import { createTracer } from "../../handlers/lib/tracer";
import { routes } from "../../handlers/routes";
import { type SeedOptions, seedDatabase } from "../../prisma/seed";
import { withClient } from "../../tools/dev/embedded-postgres";
import { createTestDatabase, type TestDatabase } from "../support/database";
import type { InMemorySecretSource } from "../support/secrets";

export { withClient };

/** Small and fast: enough rows for every pagination edge. */
export const TEST_SEED: SeedOptions = {
  creators: 3,
  fans: 60,
  messages: 1200,
  longConversation: 300,
  transactions: 300,
  days: 30,
};

export async function migratedDatabase(
  label: string,
  seed: SeedOptions | false = TEST_SEED,
): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  await applyMigrations({
    connection: db.url,
    migrations: await loadMigrationsFromDir("prisma/migrations"),
  });
  if (seed) await withClient(db.url, (client) => seedDatabase(client, seed));
  return db;
}

export const quietLogger = (): Logger => createLogger({ level: "SILENT" });

export function testDatabase(
  url: string,
  options: Omit<DatabaseOptions, "env"> & { env?: Partial<DatabaseOptions["env"]> } = {},
): Database {
  return new Database({
    logger: quietLogger(),
    ...options,
    env: {
      stage: "local",
      serviceName: "huntaze-api",
      slowQueryMs: 200,
      databaseUrl: url,
      ...options.env,
    },
  });
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are asserted field by field.
  body: any;
  raw: string;
}

export interface CallOptions {
  query?: Record<string, string>;
  body?: unknown;
  /** Sent as is (no JSON encoding) when a string. */
  rawBody?: string;
  headers?: Record<string, string>;
  /**
   * The claims API Gateway's Cognito authorizer would pass. Default: a valid ID token's claims
   * for the creator named in the path (the right token); `null`: none (no authorizer ran).
   */
  claims?: Record<string, string> | null;
  /** Sent as `Authorization: Bearer <token>` (the JWT path: dev server, OIDC issuers). */
  token?: string;
  /** What a Lambda REQUEST authorizer passes (`principalId`, its context); replaces `claims`. */
  authorizerContext?: Record<string, string>;
}

/** The app client id the test API accepts (a Cognito client id in AWS). */
export const TEST_CLIENT_ID = "testclient0000000000000000";

/** The deployed path: claims verified by API Gateway's Cognito authorizer. */
export const testAuthenticator: Authenticator = gatewayClaimsAuthenticator({
  audience: [TEST_CLIENT_ID],
  tokenUse: "id",
});

/** The claims of a Cognito ID token for `creatorId`, as the authorizer passes them (strings). */
export function cognitoClaims(creatorId: number | string): Record<string, string> {
  return {
    sub: `00000000-0000-4000-8000-${String(creatorId).padStart(12, "0")}`,
    aud: TEST_CLIENT_ID,
    token_use: "id",
    "custom:creator_id": String(creatorId),
    iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test",
  };
}

function defaultClaims(path: string): Record<string, string> | null {
  const creator = /^\/creators\/([^/]+)/.exec(path);
  return creator ? cognitoClaims(creator[1]) : null;
}

export function lambdaContext(): Context {
  const id = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "huntaze-api-test-api",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:huntaze-api-test-api",
    memoryLimitInMB: "1024",
    awsRequestId: id,
    logGroupName: "/aws/lambda/huntaze-api-test-api",
    logStreamName: "test",
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function proxyEvent(
  method: string,
  path: string,
  options: CallOptions = {},
): APIGatewayProxyEvent {
  const body =
    options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body));
  return {
    httpMethod: method,
    path,
    resource: "/{proxy+}",
    pathParameters: { proxy: path.slice(1) },
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    headers: {
      "content-type": "application/json",
      ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    multiValueHeaders: {},
    body,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      requestId: randomUUID(),
      authorizer: (() => {
        if (options.authorizerContext) return options.authorizerContext;
        const claims =
          options.claims !== undefined
            ? options.claims
            : options.token !== undefined
              ? null
              : defaultClaims(path);
        return claims ? { claims } : null;
      })(),
    } as APIGatewayProxyEvent["requestContext"],
  };
}

export function apiClient(
  database: Database,
  logger: Logger = quietLogger(),
  authenticator: Authenticator = testAuthenticator,
) {
  const handler = createApiHandler({
    routes,
    database,
    logger,
    tracer: createTracer(),
    authenticator,
  });
  return async function call(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<CallResult> {
    const result = await handler(proxyEvent(method, path, options), lambdaContext());
    const headers = (result.headers ?? {}) as Record<string, string>;
    let body: unknown;
    try {
      body = result.body ? JSON.parse(result.body) : undefined;
    } catch {
      body = undefined;
    }
    return { status: result.statusCode, headers, body, raw: result.body };
  };
}

/**
 * A `Database` that reads its credentials from `source` under `secretArn`, as the deployed
 * functions do (`DB_SECRET_ARN`), without TLS. `url`, when given, is stored there first as the
 * secret RDS keeps (host, port, dbname, username, password).
 */
export function secretBackedDatabase(
  source: InMemorySecretSource,
  secretArn: string,
  url?: string,
): Database {
  if (url !== undefined) {
    const u = new URL(url);
    source.set(secretArn, {
      host: u.hostname,
      port: Number(u.port),
      dbname: u.pathname.slice(1),
      username: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
    });
  }
  return new Database({
    env: { stage: "staging", serviceName: "huntaze-api", slowQueryMs: 200, dbSecretArn: secretArn },
    secretSource: source,
    ssl: false,
    logger: quietLogger(),
  });
}
