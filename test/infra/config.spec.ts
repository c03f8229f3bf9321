import * as assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../infra/config";
import { loadStackConfig } from "../../tools/preview/stack-config";
import { PROJECT_ROOT } from "./support";

const MINIMAL = {
  "aws:region": "us-east-1",
  "huntaze-api:alertEmails": '["ops@huntaze.example"]',
  // Required in every stack (data tier): the instance class is a cost decision.
  "huntaze-api:database": '{"instanceClass": "db.t4g.micro"}',
};

function parse(values: Record<string, string>, stack = "prod") {
  return parseConfig({
    project: "huntaze-api",
    stack,
    stackFile: `Pulumi.${stack}.yaml`,
    values,
  });
}

function problemsOf(values: Record<string, string>, stack = "prod"): string[] {
  try {
    parse(values, stack);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail("expected the config to be rejected");
}

describe("stack config (infra/config.ts)", () => {
  it("reads the prod stack file into typed values", () => {
    const loaded = loadStackConfig(PROJECT_ROOT, "prod");
    const cfg = parse(loaded.config, "prod");
    assert.equal(cfg.stage, "prod");
    assert.equal(cfg.region, "us-east-1");
    assert.deepEqual(cfg.alerting.emails, ["ops@huntaze.example", "oncall@huntaze.example"]);
    assert.equal(cfg.tracing.samplingRate, 0.1);
    assert.equal(cfg.logs.retentionInDays, 30);
    assert.equal(cfg.logs.applicationLogLevel, "ERROR");
    assert.equal(cfg.api.reservedConcurrency, 100);
    assert.equal(cfg.api.timeoutSeconds, 10);
    assert.equal(cfg.worker.schedule, "cron(0 3 * * ? *)");
    assert.equal(cfg.alarms.errorRatePercent, 1);
    assert.equal(cfg.api.latencyP95Ms, 500);
  });

  it("reads the staging stack file, whose relaxations are explicit keys", () => {
    const loaded = loadStackConfig(PROJECT_ROOT, "staging");
    const cfg = parse(loaded.config, "staging");
    assert.equal(cfg.stage, "staging");
    assert.equal(cfg.tracing.samplingRate, 1);
    assert.equal(cfg.logs.applicationLogLevel, "INFO");
  });

  it("defaults to the production values when a stack sets nothing (secure defaults)", () => {
    const cfg = parse(MINIMAL, "staging");
    assert.equal(cfg.tracing.samplingRate, 0.1);
    assert.equal(cfg.logs.applicationLogLevel, "ERROR");
    assert.equal(cfg.logs.systemLogLevel, "WARN");
    assert.equal(cfg.logs.retentionInDays, 30);
    assert.equal(cfg.alarms.errorRatePercent, 1);
    assert.equal(cfg.api.latencyP95Ms, 500);
    assert.equal(cfg.api.executionLogLevel, "ERROR");
    assert.equal(cfg.api.manageAccountLogRole, true);
    assert.equal(cfg.dlq.retentionDays, 14);
    assert.equal(cfg.worker.maxRetries, 2);
    assert.equal(cfg.worker.reservedConcurrency, 1);
    assert.equal(cfg.worker.durationP95Ms, 240_000, "80 % of the 300 s timeout");
    assert.equal(cfg.api.durationP95Ms, 500, "the API function follows latencyP95Ms");
  });

  it("rejects a sampling rate outside [0, 1] naming the key, the stack file and the form", () => {
    assert.deepEqual(problemsOf({ ...MINIMAL, "huntaze-api:samplingRate": "1.5" }), [
      "huntaze-api:samplingRate must be a number in [0, 1] (Pulumi.prod.yaml)",
    ]);
    assert.deepEqual(problemsOf({ ...MINIMAL, "huntaze-api:samplingRate": "ten percent" }), [
      "huntaze-api:samplingRate must be a number in [0, 1] (Pulumi.prod.yaml)",
    ]);
  });

  it("requires alert e-mail addresses", () => {
    const { "huntaze-api:alertEmails": _emails, ...withoutEmails } = MINIMAL;
    assert.deepEqual(problemsOf(withoutEmails), [
      'huntaze-api:alertEmails must be a non-empty list of e-mail addresses for alarm notifications, e.g. ["ops@huntaze.example"] (Pulumi.prod.yaml)',
    ]);
    assert.equal(
      problemsOf({ ...MINIMAL, "huntaze-api:alertEmails": '["not-an-address"]' }).length,
      1,
    );
    assert.equal(problemsOf({ ...MINIMAL, "huntaze-api:alertEmails": "[]" }).length, 1);
  });

  it("requires aws:region", () => {
    const { "aws:region": _region, ...withoutRegion } = MINIMAL;
    assert.deepEqual(problemsOf(withoutRegion), [
      "aws:region is required: the AWS region, e.g. `pulumi config set aws:region us-east-1` (Pulumi.prod.yaml)",
    ]);
  });

  it("rejects an unknown key and suggests the one it resembles", () => {
    assert.deepEqual(problemsOf({ ...MINIMAL, "huntaze-api:samplingRat": "0.1" }), [
      "huntaze-api:samplingRat is not a known key; did you mean huntaze-api:samplingRate? (Pulumi.prod.yaml)",
    ]);
  });

  it("rejects an unknown field inside an object key", () => {
    assert.deepEqual(problemsOf({ ...MINIMAL, "huntaze-api:api": '{"memoryMB": 512}' }), [
      "huntaze-api:api.memoryMB is not a known field; did you mean huntaze-api:api.memoryMb? (Pulumi.prod.yaml)",
    ]);
  });

  it("accepts the keys only tools read (cost assumptions, expected account)", () => {
    const cfg = parse({
      ...MINIMAL,
      "huntaze-api:costAssumptions": '{"requestsPerMonth": 1000000}',
      "huntaze-api:expectedAccountId": "123456789012",
    });
    assert.equal(cfg.project, "huntaze-api");
  });

  it("leaves other namespaces (aws:, pulumi:) to their owners", () => {
    const cfg = parse({ ...MINIMAL, "aws:profile": "huntaze-prod" });
    assert.equal(cfg.region, "us-east-1");
  });

  it("bounds the API timeout by API Gateway's 29 s integration limit", () => {
    assert.deepEqual(problemsOf({ ...MINIMAL, "huntaze-api:api": '{"timeoutSeconds": 60}' }), [
      "huntaze-api:api.timeoutSeconds must be an integer in [1, 29] (REST API integrations time out at 29 s) (Pulumi.prod.yaml)",
    ]);
  });

  it("refuses reserved concurrency 0, which would throttle every invocation", () => {
    assert.deepEqual(
      problemsOf({ ...MINIMAL, "huntaze-api:worker": '{"reservedConcurrency": 0}' }),
      [
        "huntaze-api:worker.reservedConcurrency must be an integer in [1, 1000] (0 would throttle every invocation) (Pulumi.prod.yaml)",
      ],
    );
  });

  it("accepts numbers given as strings inside objects (`pulumi config set --path`)", () => {
    const cfg = parse({ ...MINIMAL, "huntaze-api:api": '{"memoryMb": "2048"}' });
    assert.equal(cfg.api.memoryMb, 2048);
  });

  it("refuses log retention below 30 days or not offered by CloudWatch", () => {
    const message =
      "huntaze-api:logRetentionDays must be one of 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (CloudWatch Logs retention values, at least 30) (Pulumi.prod.yaml)";
    assert.deepEqual(problemsOf({ ...MINIMAL, "huntaze-api:logRetentionDays": "7" }), [message]);
    assert.deepEqual(problemsOf({ ...MINIMAL, "huntaze-api:logRetentionDays": "31" }), [message]);
  });

  it("refuses an application log level Lambda does not know", () => {
    assert.deepEqual(problemsOf({ ...MINIMAL, "huntaze-api:applicationLogLevel": "LOUD" }), [
      'huntaze-api:applicationLogLevel must be one of "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", not "LOUD" (Pulumi.prod.yaml)',
    ]);
  });

  it("refuses a burst limit below the rate limit", () => {
    assert.deepEqual(
      problemsOf({ ...MINIMAL, "huntaze-api:apiThrottle": '{"rateLimit": 100, "burstLimit": 10}' }),
      [
        "huntaze-api:apiThrottle.burstLimit must be at least apiThrottle.rateLimit (100) (Pulumi.prod.yaml)",
      ],
    );
  });

  it("needs an explicit stage when the stack is neither prod nor staging", () => {
    assert.deepEqual(problemsOf(MINIMAL, "dev-alice"), [
      'huntaze-api:stage must be set to "prod" or "staging" when the stack name (dev-alice) is neither (Pulumi.dev-alice.yaml)',
    ]);
    assert.equal(
      parse({ ...MINIMAL, "huntaze-api:stage": "staging" }, "dev-alice").stage,
      "staging",
    );
  });

  it("reports every problem at once", () => {
    const problems = problemsOf({
      "aws:region": "us-east-1",
      "huntaze-api:database": MINIMAL["huntaze-api:database"],
      "huntaze-api:samplingRate": "2",
      "huntaze-api:typo": "x",
    });
    assert.equal(problems.length, 3);
  });
});
