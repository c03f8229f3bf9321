import * as assert from "node:assert/strict";
import {
  CONNECTION_RETRIES,
  createMetrics,
  METRICS_NAMESPACE,
  recordConnectionRetry,
  recordSlowQuery,
  SLOW_QUERIES,
} from "../../handlers/lib/metrics";
import { APP_METRICS_NAMESPACE, appMetric } from "../../infra/lib/alarms";
import type { TestDatabase } from "../support/database";
import { apiClient, migratedDatabase, testDatabase } from "./helpers";

/** Runs `fn` with stdout captured; returns the JSON objects written meanwhile. */
async function captureJson(fn: () => unknown): Promise<Array<Record<string, unknown>>> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return chunks
    .join("")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

/**
 * Lambda's log-level filter as its guide states it: a JSON line is kept when its `level` is at
 * least the function's application log level; a missing or invalid level counts as INFO.
 */
function lambdaKeeps(line: Record<string, unknown>, applicationLogLevel: string): boolean {
  const level = String(line.level ?? "").toUpperCase();
  const rank = LEVELS.includes(level) ? LEVELS.indexOf(level) : LEVELS.indexOf("INFO");
  return rank >= LEVELS.indexOf(applicationLogLevel);
}

interface EmfDocument {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

function emf(lines: Array<Record<string, unknown>>, metric: string): EmfDocument[] {
  return lines.filter((l) =>
    (l as unknown as EmfDocument)._aws?.CloudWatchMetrics.some((d) =>
      d.Metrics.some((m) => m.Name === metric),
    ),
  ) as unknown as EmfDocument[];
}

describe("metrics that survive prod's log level", () => {
  const saved = process.env.AWS_LAMBDA_LOG_LEVEL;
  afterEach(() => {
    if (saved === undefined) delete process.env.AWS_LAMBDA_LOG_LEVEL;
    else process.env.AWS_LAMBDA_LOG_LEVEL = saved;
  });

  it("writes a slow query as an EMF count that Lambda's ERROR filter keeps, with model and operation but no arguments", async () => {
    process.env.AWS_LAMBDA_LOG_LEVEL = "ERROR";
    const target = createMetrics({ stage: "prod", serviceName: "huntaze-api" });
    const lines = await captureJson(() =>
      recordSlowQuery({ model: "Fan", operation: "findMany", durationMs: 812.5 }, target),
    );
    const [doc] = emf(lines, SLOW_QUERIES);
    assert.ok(doc, `an EMF document for ${SLOW_QUERIES} in ${JSON.stringify(lines)}`);
    const [directive] = doc._aws.CloudWatchMetrics;
    assert.equal(directive!.Namespace, METRICS_NAMESPACE);
    assert.deepEqual(directive!.Metrics, [{ Name: SLOW_QUERIES, Unit: "Count" }]);
    assert.deepEqual([...directive!.Dimensions[0]!].sort(), ["service", "stage"]);
    assert.equal(doc.stage, "prod");
    assert.equal(doc.service, "huntaze-api");
    assert.equal(doc[SLOW_QUERIES], 1);
    assert.equal(doc.model, "Fan");
    assert.equal(doc.operation, "findMany");
    assert.equal(doc.level, "ERROR");
    assert.ok(lambdaKeeps(doc, "ERROR"), "kept at applicationLogLevel ERROR");
  });

  it("would lose a bare EMF document at ERROR: without a level Lambda counts it as INFO", () => {
    const bare = { _aws: { CloudWatchMetrics: [] }, SlowQueries: 1 };
    assert.equal(lambdaKeeps(bare, "ERROR"), false);
    assert.equal(lambdaKeeps(bare, "INFO"), true);
  });

  it("counts a connection retry with its reason", async () => {
    process.env.AWS_LAMBDA_LOG_LEVEL = "ERROR";
    const target = createMetrics({ stage: "prod" });
    const lines = await captureJson(() => recordConnectionRetry("connection-lost", target));
    const [doc] = emf(lines, CONNECTION_RETRIES);
    assert.ok(doc);
    assert.equal(doc[CONNECTION_RETRIES], 1);
    assert.equal(doc.reason, "connection-lost");
    assert.ok(lambdaKeeps(doc, "ERROR"));
  });

  describe("from the data layer, on a real PostgreSQL", () => {
    let db: TestDatabase;
    before(async () => {
      db = await migratedDatabase("metrics");
    });
    after(() => db.drop());

    it("publishes SlowQueries for every operation at or above SLOW_QUERY_MS", async () => {
      const database = testDatabase(db.url, { env: { slowQueryMs: 0 } });
      try {
        const lines = await captureJson(async () => {
          const res = await apiClient(database)("GET", "/creators/1/fans");
          assert.equal(res.status, 200, res.raw);
        });
        const docs = emf(lines, SLOW_QUERIES);
        assert.ok(docs.length >= 1, "at least the route's query");
        assert.ok(docs.every((d) => typeof d.model === "string" && !("args" in d)));
      } finally {
        await database.disconnect();
      }
    });

    it("publishes ConnectionRetries when the server ends the connection under a query", async () => {
      const database = testDatabase(db.url);
      try {
        let attempts = 0;
        const lines = await captureJson(async () => {
          const result = await database.run(async (prisma) => {
            attempts += 1;
            // The fault, from the server itself: the first attempt's session is terminated
            // mid-query, as on a failover or an administrator's pg_terminate_backend.
            if (attempts === 1)
              await prisma.$queryRaw`SELECT pg_terminate_backend(pg_backend_pid())`;
            return prisma.$queryRaw<Array<{ ok: number }>>`SELECT 1 AS ok`;
          });
          assert.deepEqual(result, [{ ok: 1 }]);
        });
        assert.equal(attempts, 2, "retried once on a new connection");
        const [doc] = emf(lines, CONNECTION_RETRIES);
        assert.ok(doc, `a ConnectionRetries document in ${JSON.stringify(lines)}`);
        assert.equal(doc.reason, "connection-lost");
      } finally {
        await database.disconnect();
      }
    });
  });
});

describe("the metric names the infra alarms on", () => {
  it("match the handlers' namespace and service", () => {
    assert.equal(APP_METRICS_NAMESPACE, METRICS_NAMESPACE);
    const ref = appMetric("prod", SLOW_QUERIES, "Sum");
    assert.deepEqual(ref.dimensions, { service: "huntaze-api", stage: "prod" });
  });
});
