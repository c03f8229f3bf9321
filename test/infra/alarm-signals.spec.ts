/**
 * Do the API's alarms see what users see? The real API handler answers requests while its
 * database is unreachable (a closed port: the handled 503 path), and a model of what AWS
 * publishes per invocation turns the outcomes into the metrics the prod stack's alarms read.
 * The alarms' own metric-math expressions are then evaluated on those metrics.
 *
 * The model is AWS's documented semantics: API Gateway counts every request in `Count` and every
 * 5xx response the client gets in `5XXError` (a Lambda proxy integration's own 5xx status as
 * well as the 502 it returns when the invocation fails); Lambda counts an invocation in `Errors`
 * only when the function throws or times out, never for a response it returned.
 */
import * as assert from "node:assert/strict";
import { createServer } from "node:net";
import { type ProgramRun, runProgram } from "../../tools/preview/run-program";
import { loadStackConfig } from "../../tools/preview/stack-config";
import { apiClient, testDatabase } from "../handlers/helpers";
import { ofType, PROGRAM, PROJECT_ROOT } from "./support";

type Metrics = Record<string, number>;

/** What one invocation adds to the API Gateway and Lambda metrics. */
function publish(metrics: Metrics, outcome: { status?: number; threw: boolean }): void {
  const add = (name: string, n = 1) => {
    metrics[name] = (metrics[name] ?? 0) + n;
  };
  add("AWS/ApiGateway:Count");
  add("AWS/Lambda:Invocations");
  if (outcome.threw) {
    add("AWS/Lambda:Errors");
    add("AWS/ApiGateway:5XXError"); // API Gateway answers 502 for a failed invocation.
  } else if ((outcome.status ?? 200) >= 500) {
    add("AWS/ApiGateway:5XXError");
  }
}

interface AlarmQuery {
  id: string;
  expression?: string;
  metric?: { namespace: string; metricName: string };
}

/**
 * The value of an alarm's returned expression over one period's metrics. Only the rate form
 * the project's alarms use (`IF(total > 0, 100 * errors / total, 0)`) is understood; anything
 * else fails the test rather than being guessed.
 */
function evaluate(queries: AlarmQuery[], metrics: Metrics): number {
  const values = new Map<string, number>();
  for (const q of queries) {
    if (q.metric) values.set(q.id, metrics[`${q.metric.namespace}:${q.metric.metricName}`] ?? 0);
  }
  const returned = queries.find((q) => q.expression !== undefined);
  const m = /^IF\((\w+) > 0, 100 \* (\w+) \/ (\w+), 0\)$/.exec(returned?.expression ?? "");
  assert.ok(m && m[1] === m[3], `unsupported expression ${returned?.expression}`);
  const total = values.get(m[1]!) ?? 0;
  return total > 0 ? (100 * (values.get(m[2]!) ?? 0)) / total : 0;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the prod API alarms under a model of AWS's metrics", () => {
  let run: ProgramRun;
  const alarm = (name: string) => {
    const found = ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").find(
      (a) => a.inputs.name === name,
    );
    assert.ok(found, `alarm ${name}`);
    return {
      queries: found.inputs.metricQueries as AlarmQuery[],
      threshold: found.inputs.threshold as number,
    };
  };

  before(async () => {
    run = await runProgram({
      programFile: PROGRAM,
      stackConfig: loadStackConfig(PROJECT_ROOT, "prod"),
    });
  });

  it("moves the 5xx-rate alarm over its threshold on handled 503s, which Lambda Errors never counts", async () => {
    const database = testDatabase(`postgresql://u:p@127.0.0.1:${await closedPort()}/huntaze`);
    const call = apiClient(database);
    const metrics: Metrics = {};
    try {
      for (let i = 0; i < 5; i++) {
        const res = await call("GET", "/creators/1/fans");
        assert.equal(res.status, 503, res.raw);
        publish(metrics, { status: res.status, threw: false });
      }
    } finally {
      await database.disconnect();
    }
    const fiveXx = alarm("huntaze-api-prod-api-5xx-rate");
    const lambdaErrors = alarm("huntaze-api-prod-function-error-rate-api");
    assert.equal(evaluate(fiveXx.queries, metrics), 100);
    assert.ok(evaluate(fiveXx.queries, metrics) > fiveXx.threshold, "the 5xx alarm breaches");
    assert.equal(evaluate(lambdaErrors.queries, metrics), 0, "Lambda Errors sees none of them");
  });

  it("moves both alarms on a crash, which clients get as a 502", () => {
    const metrics: Metrics = {};
    publish(metrics, { threw: true });
    for (let i = 0; i < 9; i++) publish(metrics, { status: 200, threw: false });
    const fiveXx = alarm("huntaze-api-prod-api-5xx-rate");
    const lambdaErrors = alarm("huntaze-api-prod-function-error-rate-api");
    assert.equal(evaluate(fiveXx.queries, metrics), 10);
    assert.equal(evaluate(lambdaErrors.queries, metrics), 10);
    assert.ok(evaluate(lambdaErrors.queries, metrics) > lambdaErrors.threshold);
  });
});
