import * as assert from "node:assert/strict";
import * as path from "node:path";
import { loadCostAssumptions } from "../../tools/cost/assumptions";
import { type CostReport, estimateCost, type LineItem } from "../../tools/cost/estimate";
import { restApiRequestsUsd } from "../../tools/cost/pricers/api-gateway";
import { tracesPerMonth } from "../../tools/cost/pricers/xray";
import { HOURS_PER_MONTH, PRICES } from "../../tools/cost/prices";
import { schedulePerMonth } from "../../tools/cost/schedule";
import type { CapturedResource } from "../../tools/preview/run-program";
import { runProgram } from "../../tools/preview/run-program";
import type { LoadedStackConfig } from "../../tools/preview/stack-config";
import { captured, programRun } from "../support/runs";

const FIXTURE = path.resolve(__dirname, "..", "fixtures", "cost", "program.ts");
const DAYS = HOURS_PER_MONTH / 24;
const SECONDS = HOURS_PER_MONTH * 3600;

/** Assumptions chosen so every usage-driven line is easy to recompute by hand. */
const ASSUMPTIONS = {
  requestsPerMonth: 20_000_000,
  apiAvgDurationMs: 100,
  scheduledAvgDurationMs: 2_000,
  otherInvocationsPerMonth: 10,
  otherAvgDurationMs: 4_000,
  logIngestGbPerMonth: 10,
  xrayTracesRetrievedPerMonth: 1_000_000,
  secretsApiCallsPerMonth: 100_000,
  kmsRequestsPerMonth: 200_000,
  vpcEndpointGbPerMonth: 50,
  natGatewayGbPerMonth: 0,
  alarmNotificationsPerMonth: 100,
  sqsRequestsPerMonth: 2_000_000,
};

function stackConfig(assumptions?: unknown, region = "us-east-1"): LoadedStackConfig {
  const config: Record<string, string> = { "aws:region": region };
  if (assumptions !== undefined) {
    config["huntaze-api:costAssumptions"] =
      typeof assumptions === "string" ? assumptions : JSON.stringify(assumptions);
  }
  return {
    project: "huntaze-api",
    stack: "costtest",
    config,
    secretKeys: [],
    stackFile: "Pulumi.costtest.yaml",
  };
}

function close(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${what}: expected ${expected}, got ${actual}`,
  );
}

function line(report: CostReport, service: string, itemStart: string): LineItem {
  const found = report.lineItems.find((i) => i.service === service && i.item.startsWith(itemStart));
  assert.ok(
    found,
    `no ${service} line starting "${itemStart}" in:\n${report.lineItems.map((i) => `${i.service}: ${i.item}`).join("\n")}`,
  );
  return found;
}

/** A hand-built resource for edge cases the fixture program does not cover. */
function resource(type: string, name: string, inputs: Record<string, unknown>): CapturedResource {
  return captured(type, name, inputs, { outputs: {} });
}

describe("cost estimate on a small program", () => {
  let report: CostReport;

  before(async () => {
    const config = stackConfig(ASSUMPTIONS);
    const run = await runProgram({ programFile: FIXTURE, stackConfig: config });
    report = estimateCost(run, loadCostAssumptions(config));
  });

  it("prices each customer-managed KMS key per month and KMS requests from the assumption", () => {
    const keys = line(report, "KMS", "customer-managed keys");
    assert.equal(keys.quantity, 2);
    close(keys.monthlyUsd, 2 * 1.0, "2 keys at $1");
    close(line(report, "KMS", "requests").monthlyUsd, (200_000 / 10_000) * 0.03, "KMS requests");
  });

  it("counts the RDS-managed master secret as a Secrets Manager secret", () => {
    const secrets = line(report, "Secrets Manager", "secrets");
    assert.equal(secrets.quantity, 2, "one secret in the stack + the RDS-managed master");
    close(secrets.monthlyUsd, 0.8, "2 secrets at $0.40");
    close(line(report, "Secrets Manager", "API calls").monthlyUsd, 0.5, "100k calls at $0.05/10k");
  });

  it("counts rotations per month from the rotation schedule", () => {
    const rotations = line(report, "Secrets Manager", "rotations");
    close(rotations.quantity, DAYS / 15, "every 15 days");
    assert.ok(rotations.monthlyUsd < 0.01, "a rotation costs a fraction of a cent");
  });

  it("prices a metric-math alarm per metric it reads, and a 10-second alarm at the high-resolution rate", () => {
    const standard = line(report, "CloudWatch", "alarms:");
    assert.equal(
      standard.quantity,
      3,
      "plain alarm (1 metric) + math alarm (2 metrics; the expression is free)",
    );
    close(standard.monthlyUsd, 0.3, "3 alarm metrics at $0.10");
    const highRes = line(report, "CloudWatch", "high-resolution");
    assert.equal(highRes.quantity, 1);
    close(highRes.monthlyUsd, 0.3, "1 high-resolution metric at $0.30");
    close(line(report, "CloudWatch", "dashboards").monthlyUsd, 3, "1 dashboard at $3");
  });

  it("bills an interface endpoint per AZ-hour and data processed, and a gateway endpoint not at all", () => {
    const endpoint = line(report, "VPC", "interface endpoints");
    assert.equal(endpoint.quantity, 2 * HOURS_PER_MONTH, "two subnets = two AZ attachments");
    close(endpoint.monthlyUsd, 2 * 730 * 0.01, "$14.60");
    close(line(report, "VPC", "interface endpoint data").monthlyUsd, 50 * 0.01, "50 GB at $0.01");
    assert.ok(
      report.free.some((f) => f.type.includes("vpcEndpoint") && f.type.includes("Gateway")),
    );
  });

  it("prices the RDS instance per hour, its gp3 storage per GB-month, and 7-day Performance Insights as free", () => {
    close(
      line(report, "RDS", "db: db.t4g.micro Single-AZ").monthlyUsd,
      730 * 0.016,
      "db.t4g.micro",
    );
    close(line(report, "RDS", "db: 20 GB gp3").monthlyUsd, 20 * 0.115, "20 GB gp3");
    assert.equal(line(report, "RDS", "db: Performance Insights, 7-day").monthlyUsd, 0);
  });

  it("lists an instance class missing from the price table as not priced, and still doubles Multi-AZ storage", () => {
    const unpriced = report.notPriced.filter((r) => r.name.startsWith("analytics-db"));
    assert.ok(
      unpriced.some((r) => /db\.x9\.huge/.test(r.reason)),
      JSON.stringify(report.notPriced),
    );
    assert.ok(!report.lineItems.some((i) => i.item.startsWith("analytics-db: db.x9.huge")));
    close(
      line(report, "RDS", "analytics-db: 100 GB gp2").monthlyUsd,
      100 * 0.115 * 2,
      "Multi-AZ storage",
    );
  });

  it("lists a resource type the table does not know as not priced instead of dropping it", () => {
    assert.ok(
      report.notPriced.some((r) => r.type === "aws:dynamodb/table:Table" && r.name === "sessions"),
    );
  });

  it("prices log ingestion from the assumption and storage at 30-day retention as about one month of logs", () => {
    close(line(report, "CloudWatch Logs", "ingestion").monthlyUsd, 10 * 0.5, "10 GB at $0.50");
    const storage = line(report, "CloudWatch Logs", "storage at 30-day");
    close(storage.quantity, (10 * 30) / DAYS, "two 30-day groups sharing 10 GB/month");
    close(storage.monthlyUsd, ((10 * 30) / DAYS) * 0.03, "storage cost");
  });

  it("derives invocations: API requests for the API function, the cron schedule for the worker, the assumption for the rest", () => {
    const api = line(report, "Lambda", "fixture-api:");
    const gbSeconds = 20e6 * 0.1 * 0.5;
    close(api.quantity, gbSeconds, "20M × 100 ms × 512 MB");
    close(api.monthlyUsd, gbSeconds * 0.0000133334 + 20 * 0.2, "arm64 duration + requests");
    const worker = line(report, "Lambda", "fixture-worker:");
    close(worker.quantity, DAYS * 2 * 0.25, "nightly cron × 2 s × 256 MB");
    const migrate = line(report, "Lambda", "fixture-migrate:");
    close(migrate.quantity, 10 * 4 * 0.125, "10 other invocations × 4 s × 128 MB");
    close(migrate.monthlyUsd, 5 * 0.0000166667 + 10 * 0.2e-6, "x86_64 by default");
  });

  it("prices X-Ray at the sampling rule's rate above its reservoir, plus the traced scheduled worker", () => {
    const traces = line(report, "X-Ray", "traces recorded");
    const apiTraces = SECONDS * 1 + 0.1 * (20e6 - SECONDS * 1);
    close(
      traces.quantity,
      apiTraces + DAYS,
      "reservoir 1/s + 10 % of the rest, and every worker run",
    );
    close(traces.monthlyUsd, traces.quantity * 5e-6, "$5 per million");
    close(line(report, "X-Ray", "traces retrieved").monthlyUsd, 0.5, "1M retrieved at $0.50/M");
  });

  it("charges API Gateway REST requests at $3.50 per million", () => {
    close(line(report, "API Gateway", "REST API requests").monthlyUsd, 20 * 3.5, "20M requests");
  });

  it("prices alarm notifications as one publish plus one email per subscriber", () => {
    close(
      line(report, "SNS", "alarm notifications").monthlyUsd,
      100 * (0.5e-6 + 2 * 2e-5),
      "100 × (publish + 2 emails)",
    );
    close(line(report, "SQS", "requests").monthlyUsd, 2 * 0.4, "2M requests");
  });

  it("ignores component resources, and its total is the sum of its line items", () => {
    assert.ok(!report.notPriced.some((r) => r.type.startsWith("fixture:")));
    assert.ok(!report.free.some((r) => r.type.startsWith("fixture:")));
    close(
      report.totalMonthlyUsd,
      report.lineItems.reduce((s, i) => s + i.monthlyUsd, 0),
      "total",
    );
  });

  it("states the price date, the region and which assumptions were set", () => {
    assert.match(report.pricesAsOf, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(report.priceRegion, "us-east-1");
    assert.deepEqual([...report.assumptionsOverridden].sort(), Object.keys(ASSUMPTIONS).sort());
  });
});

describe("cost estimate edge cases", () => {
  const defaults = loadCostAssumptions(stackConfig());

  it("prices Performance Insights retention beyond 7 days per vCPU, Multi-AZ counting both instances", () => {
    const report = estimateCost(
      programRun([
        resource("aws:rds/instance:Instance", "db", {
          instanceClass: "db.t4g.small",
          allocatedStorage: 20,
          multiAz: true,
          performanceInsightsEnabled: true,
          performanceInsightsRetentionPeriod: 93,
        }),
      ]),
      defaults,
    );
    const pi = line(report, "RDS", "db: Performance Insights, 3-month");
    assert.equal(pi.quantity, 4, "2 vCPU × 2 instances");
    close(
      pi.monthlyUsd,
      4 * (PRICES.performanceInsightsFirstMonth.usd + 2 * PRICES.performanceInsightsExtraMonth.usd),
      "first month + 2 extra months per vCPU",
    );
    assert.equal(pi.confirmed, false, "the PI price is flagged as not re-confirmed");
    close(
      line(report, "RDS", "db: db.t4g.small Multi-AZ").monthlyUsd,
      730 * 0.032 * 2,
      "Multi-AZ instance",
    );
  });

  it("shows a log group that never expires after 12 months and says it keeps growing", () => {
    const report = estimateCost(
      programRun([resource("aws:cloudwatch/logGroup:LogGroup", "forever", { name: "/x" })]),
      defaults,
    );
    const storage = line(report, "CloudWatch Logs", "storage");
    close(storage.quantity, 2 * 12, "default 2 GB/month × 12 months");
    assert.match(storage.note ?? "", /never expire/);
  });

  it("uses Lambda's own sampling when the API stage is not traced, whatever the sampling rule says", () => {
    const fn = resource("aws:lambda/function:Function", "api", {
      name: "api-fn",
      tracingConfig: { mode: "Active" },
    });
    const report = estimateCost(
      programRun([
        fn,
        resource("aws:lambda/permission:Permission", "perm", {
          function: "api-fn",
          principal: "apigateway.amazonaws.com",
        }),
        resource("aws:xray/samplingRule:SamplingRule", "rule", {
          fixedRate: 0.5,
          reservoirSize: 0,
          priority: 1,
        }),
      ]),
      loadCostAssumptions(stackConfig({ requestsPerMonth: 10_000_000 })),
    );
    const traces = line(report, "X-Ray", "traces recorded");
    close(traces.quantity, SECONDS + 0.05 * (10e6 - SECONDS), "1/s + 5 %");
  });

  it("prices an interface endpoint without subnets in one AZ and says so", () => {
    const report = estimateCost(
      programRun([
        resource("aws:ec2/vpcEndpoint:VpcEndpoint", "e", {
          vpcEndpointType: "Interface",
          serviceName: "com.amazonaws.us-east-1.kms",
        }),
      ]),
      defaults,
    );
    const e = line(report, "VPC", "interface endpoints: kms");
    assert.equal(e.quantity, HOURS_PER_MONTH);
    assert.match(e.note ?? "", /one AZ/);
  });

  it("notes that prices are us-east-1 when the stack deploys elsewhere", () => {
    const report = estimateCost(programRun([]), defaults, "eu-west-3");
    assert.ok(report.notes.some((n) => n.includes("eu-west-3") && n.includes("us-east-1")));
  });
});

describe("cost arithmetic helpers", () => {
  it("tiers REST API requests above 333 million", () => {
    close(restApiRequestsUsd(1e6), 3.5, "1M");
    close(restApiRequestsUsd(433e6), 333 * 3.5 + 100 * 2.8, "333M at $3.50 + 100M at $2.80");
  });

  it("traces every request below the reservoir and the fixed rate above it", () => {
    close(tracesPerMonth(1_000_000, 1, 0.1), 1_000_000, "0.38 req/s < 1/s reservoir");
    close(tracesPerMonth(SECONDS * 11, 1, 0.1), SECONDS * (1 + 0.1 * 10), "11 req/s");
    close(tracesPerMonth(SECONDS * 11, 0, 0.1), SECONDS * 1.1, "no reservoir");
  });

  it("counts schedule firings per month for rate and cron expressions", () => {
    close(schedulePerMonth("rate(1 day)") ?? 0, DAYS, "daily");
    close(schedulePerMonth("rate(5 minutes)") ?? 0, (730 * 60) / 5, "every 5 minutes");
    close(schedulePerMonth("rate(2 hours)") ?? 0, 365, "every 2 hours");
    close(schedulePerMonth("cron(0 3 * * ? *)") ?? 0, DAYS, "nightly");
    close(schedulePerMonth("cron(0/15 * * * ? *)") ?? 0, 4 * 24 * DAYS, "every 15 minutes");
    close(schedulePerMonth("cron(0 9 ? * MON-FRI *)") ?? 0, (5 * DAYS) / 7, "weekdays");
    close(schedulePerMonth("cron(0 0 1 * ? *)") ?? 0, 1, "monthly");
    assert.equal(schedulePerMonth("at(2026-01-01T00:00:00)"), undefined);
  });
});

describe("cost assumptions from stack config", () => {
  it("uses the defaults when huntaze-api:costAssumptions is not set", () => {
    const resolved = loadCostAssumptions(stackConfig());
    assert.equal(resolved.values.requestsPerMonth, 1_000_000);
    assert.deepEqual(resolved.overridden, []);
    assert.match(resolved.source, /huntaze-api:costAssumptions in Pulumi\.costtest\.yaml/);
  });

  it("overrides only the keys the stack sets", () => {
    const resolved = loadCostAssumptions(
      stackConfig({ requestsPerMonth: 5, logIngestGbPerMonth: "7" }),
    );
    assert.equal(resolved.values.requestsPerMonth, 5);
    assert.equal(resolved.values.logIngestGbPerMonth, 7);
    assert.equal(resolved.values.apiAvgDurationMs, 120);
  });

  it("rejects an unknown key, naming it, the stack file and the valid keys", () => {
    assert.throws(
      () => loadCostAssumptions(stackConfig({ requestsPerMonht: 5 })),
      /huntaze-api:costAssumptions\.requestsPerMonht is not a known assumption \(Pulumi\.costtest\.yaml\); use one of: requestsPerMonth/,
    );
  });

  it("rejects a negative or non-numeric value with the expected form", () => {
    assert.throws(
      () => loadCostAssumptions(stackConfig({ logIngestGbPerMonth: -1 })),
      /huntaze-api:costAssumptions\.logIngestGbPerMonth must be a non-negative number \(Pulumi\.costtest\.yaml\), got -1/,
    );
    assert.throws(
      () => loadCostAssumptions(stackConfig({ requestsPerMonth: "lots" })),
      /must be a non-negative number/,
    );
  });

  it("rejects a value that is not a mapping", () => {
    assert.throws(
      () => loadCostAssumptions(stackConfig("[1, 2]")),
      /must be a mapping of assumption names to numbers \(Pulumi\.costtest\.yaml\)/,
    );
  });
});
