import { strict as assert } from "node:assert";
import * as AWSXRay from "aws-xray-sdk-core";
import { createApiHandler } from "../../handlers/lib/http-handler";
import { createLogger, defaultLogLevel } from "../../handlers/lib/logger";
import { createTracer } from "../../handlers/lib/tracer";
import { routes } from "../../handlers/routes";
import type { TestDatabase } from "../support/database";
import {
  lambdaContext,
  migratedDatabase,
  proxyEvent,
  testAuthenticator,
  testDatabase,
} from "./helpers";

/** Runs `fn` with stdout and stderr captured; returns the JSON log lines written meanwhile. */
async function captureLogs(fn: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const grab = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return lines
    .join("")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const previous = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("observability", () => {
  let db: TestDatabase;

  before(async () => {
    db = await migratedDatabase("observability");
  });
  after(() => db.drop());

  describe("log level", () => {
    it("defaults to errors only in prod and INFO elsewhere", () => {
      assert.equal(defaultLogLevel("prod", {}), "ERROR");
      assert.equal(defaultLogLevel("staging", {}), "INFO");
      assert.equal(defaultLogLevel("staging", { POWERTOOLS_LOG_LEVEL: "debug" }), "DEBUG");
    });

    it("honours Lambda's AWS_LAMBDA_LOG_LEVEL (the function's loggingConfig) over everything else", async () => {
      const logger = withEnv(
        { AWS_LAMBDA_LOG_LEVEL: "ERROR", POWERTOOLS_LOG_LEVEL: "DEBUG", POWERTOOLS_DEV: undefined },
        () => createLogger({ stage: "staging" }),
      );
      const logs = await captureLogs(async () => {
        logger.info("info line");
        logger.warn("warn line");
        logger.error("error line");
      });
      assert.deepEqual(
        logs.map((l) => l.message),
        ["error line"],
      );
    });

    it("writes only errors in prod: a successful request logs nothing, a failed one logs the error with its stack", async () => {
      const logger = withEnv(
        { AWS_LAMBDA_LOG_LEVEL: undefined, POWERTOOLS_LOG_LEVEL: undefined, LOG_LEVEL: undefined },
        () => createLogger({ stage: "prod" }),
      );
      // About log levels, not slow queries: the first request opens the connection, which a
      // busy machine can stretch past the default 200 ms (a SlowQueries metric line).
      const database = testDatabase(db.url, { logger, env: { slowQueryMs: 60_000 } });
      const broken = testDatabase("postgresql://u:p@127.0.0.1:1/x", { logger });
      try {
        const ok = createApiHandler({
          routes,
          database,
          logger,
          tracer: createTracer(),
          authenticator: testAuthenticator,
        });
        const down = createApiHandler({
          routes,
          database: broken,
          logger,
          tracer: createTracer(),
          authenticator: testAuthenticator,
        });
        const quiet = await captureLogs(() =>
          ok(proxyEvent("GET", "/creators/1/fans"), lambdaContext()),
        );
        assert.deepEqual(quiet, []);
        const failed = await captureLogs(() =>
          down(proxyEvent("GET", "/creators/1/fans"), lambdaContext()),
        );
        // Besides the error, only metric documents (EMF, `_aws`): the connection retry is counted.
        const metrics = failed.filter((line) => "_aws" in line);
        assert.ok(
          metrics.every((m) => "ConnectionRetries" in m),
          JSON.stringify(metrics),
        );
        failed.splice(0, failed.length, ...failed.filter((line) => !("_aws" in line)));
        assert.equal(failed.length, 1);
        assert.equal(failed[0].level, "ERROR");
        assert.equal(failed[0].message, "request failed");
        assert.equal(failed[0].status, 503);
        assert.match(String((failed[0].error as { stack?: string }).stack), /at /);
        assert.equal(failed[0].function_name, "huntaze-api-test-api");
        assert.ok(failed[0].function_request_id);
      } finally {
        await database.disconnect();
        await broken.disconnect();
      }
    });
  });

  it("logs one structured access line per request with route, status, duration and SQL statements", async () => {
    const logger = withEnv(
      { AWS_LAMBDA_LOG_LEVEL: undefined, POWERTOOLS_LOG_LEVEL: undefined, LOG_LEVEL: undefined },
      () => createLogger({ stage: "staging" }),
    );
    const database = testDatabase(db.url, { logger });
    try {
      const handler = createApiHandler({
        routes,
        database,
        logger,
        tracer: createTracer(),
        authenticator: testAuthenticator,
      });
      const context = lambdaContext();
      const logs = await captureLogs(() =>
        handler(proxyEvent("GET", "/creators/1/fans", { query: { limit: "3" } }), context),
      );
      const access = logs.filter((l) => l.message === "request");
      assert.equal(access.length, 1);
      assert.equal(access[0].route, "GET /creators/{id}/fans");
      assert.equal(access[0].status, 200);
      assert.equal(access[0].statements, 1);
      assert.equal(typeof access[0].durationMs, "number");
      assert.equal(access[0].function_request_id, context.awsRequestId);
      assert.equal(context.callbackWaitsForEmptyEventLoop, false);
    } finally {
      await database.disconnect();
    }
  });

  it("logs slow queries with model, operation and duration, never their arguments", async () => {
    const logger = withEnv(
      { AWS_LAMBDA_LOG_LEVEL: undefined, POWERTOOLS_LOG_LEVEL: undefined, LOG_LEVEL: undefined },
      () => createLogger({ stage: "staging" }),
    );
    const database = testDatabase(db.url, { logger, env: { slowQueryMs: 0 } });
    try {
      const handler = createApiHandler({
        routes,
        database,
        logger,
        tracer: createTracer(),
        authenticator: testAuthenticator,
      });
      const logs = await captureLogs(() =>
        handler(
          proxyEvent("POST", "/creators/1/transactions", {
            body: { fanId: 1, type: "tip", amountCents: 4321 },
            headers: { "idempotency-key": "slow-query-secret-key" },
          }),
          lambdaContext(),
        ),
      );
      const slow = logs.filter((l) => l.message === "slow query");
      assert.ok(slow.length >= 2, JSON.stringify(logs));
      assert.ok(slow.some((l) => l.model === "Transaction" && l.operation === "create"));
      for (const line of slow) {
        assert.equal(line.level, "WARN");
        assert.equal(typeof line.durationMs, "number");
      }
      assert.doesNotMatch(JSON.stringify(logs), /slow-query-secret-key|4321/);
    } finally {
      await database.disconnect();
    }
  });

  describe("X-Ray", () => {
    it("records a handler subsegment with cold-start and service annotations, a subsegment per route and one per database call", async () => {
      const tracer = withEnv(
        { AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x", POWERTOOLS_TRACE_ENABLED: undefined },
        () => createTracer(),
      );
      assert.equal(tracer.isTracingEnabled(), true);
      const database = testDatabase(db.url, { tracer });
      try {
        const handler = createApiHandler({
          routes,
          database,
          logger: createLogger({ level: "SILENT" }),
          tracer,
          authenticator: testAuthenticator,
        });
        const segment = new AWSXRay.Segment("huntaze-api-test");
        await AWSXRay.getNamespace().runPromise(async () => {
          AWSXRay.setSegment(segment);
          const res = await handler(
            proxyEvent("GET", "/creators/1/fans", { query: { limit: "2" } }),
            lambdaContext(),
          );
          assert.equal(res.statusCode, 200);
        });
        type Sub = { name: string; annotations?: Record<string, unknown>; subsegments?: Sub[] };
        const [handlerSub] = (segment as unknown as Sub).subsegments ?? [];
        assert.equal(handlerSub.name, "## handler");
        assert.equal(handlerSub.annotations?.Service, "huntaze-api");
        assert.ok("ColdStart" in (handlerSub.annotations ?? {}));
        const [routeSub] = handlerSub.subsegments ?? [];
        assert.equal(routeSub.name, "### GET /creators/{id}/fans");
        assert.deepEqual(
          (routeSub.subsegments ?? []).map((s) => [s.name, s.annotations]),
          // The page is SQL through Prisma, named by its leading comment.
          [["## prisma Fan.page", { model: "Fan", operation: "page" }]],
        );
      } finally {
        await database.disconnect();
      }
    });

    it("is a no-op outside Lambda: handlers run without a segment and without warnings", async () => {
      const tracer = withEnv({ AWS_EXECUTION_ENV: undefined }, () => createTracer());
      assert.equal(tracer.isTracingEnabled(), false);
      const database = testDatabase(db.url, { tracer });
      try {
        const handler = createApiHandler({
          routes,
          database,
          logger: createLogger({ level: "SILENT" }),
          tracer,
          authenticator: testAuthenticator,
        });
        const logs: string[] = [];
        const warn = console.warn;
        console.warn = (...args: unknown[]) => {
          logs.push(args.join(" "));
        };
        try {
          assert.equal(
            (await handler(proxyEvent("GET", "/health"), lambdaContext())).statusCode,
            200,
          );
        } finally {
          console.warn = warn;
        }
        assert.deepEqual(logs, []);
      } finally {
        await database.disconnect();
      }
    });
  });
});
