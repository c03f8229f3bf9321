import * as assert from "node:assert/strict";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import { ListSubscriptionsByTopicCommand } from "@aws-sdk/client-sns";
import { GetSamplingRulesCommand } from "@aws-sdk/client-xray";
import { readOutputs, type StackOutputs } from "../../tools/deploy/outputs";
import { renderTable } from "../../tools/deploy/progress";
import {
  type Fetch,
  judgeAlarms,
  judgeLogRetention,
  judgeRotation,
  judgeSubscriptions,
  percentile,
  verifyAlarms,
  verifyHealth,
  verifyLogRetention,
  verifyPerformanceInsights,
  verifySamplingRule,
  verifySecretRotation,
  verifyStack,
  verifySubscriptions,
} from "../../tools/deploy/verify";
import { awsError, mockedAws } from "./helpers";

const NOW = new Date("2026-11-28T12:00:00Z");
const DAY = 86_400_000;
const TOPIC = "arn:aws:sns:us-east-1:111122223333:huntaze-api-prod-alarms";
const OUTPUTS: StackOutputs = {
  apiUrl: "https://abc123.execute-api.us-east-1.amazonaws.com/v1",
  alarmTopicArn: TOPIC,
  alarmNames: ["huntaze-api-prod-dlq-depth", "huntaze-api-prod-api-5xx-rate"],
  logGroupNames: [
    "/aws/lambda/huntaze-api-prod-api",
    "/aws/lambda/huntaze-api-prod-worker",
    "/aws/rds/instance/huntaze-api-prod/postgresql",
  ],
  samplingRuleName: "huntaze-api-prod",
  samplingRate: 0.1,
  dbInstanceId: "huntaze-api-prod-db",
  appSecretArn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:huntaze-api-prod-app-AbCdEf",
};

/** A fetch that answers with the given statuses and advances a fake clock by the given latencies. */
function fakeFetch(
  statuses: number[],
  latencies: number[],
): { fetch: Fetch; clock: () => number; urls: string[] } {
  let now = 0;
  let i = 0;
  const urls: string[] = [];
  return {
    urls,
    clock: () => now,
    fetch: async (url) => {
      urls.push(url);
      now += latencies[Math.min(i, latencies.length - 1)] ?? 0;
      const status = statuses[Math.min(i, statuses.length - 1)] ?? 200;
      i++;
      return { status };
    },
  };
}

describe("deploy verify: alarms", () => {
  const alarm = (name: string, state = "OK", actionsEnabled = true) => ({
    name,
    state,
    actionsEnabled,
  });

  it("passes when every alarm exists with actions on and none is in ALARM (new ones may lack data)", () => {
    const result = judgeAlarms(["a", "b"], [alarm("a"), alarm("b", "INSUFFICIENT_DATA")]);
    assert.equal(result.status, "ok");
    assert.match(
      result.detail,
      /2 alarms exist, actions enabled, none in ALARM \(1 INSUFFICIENT_DATA/,
    );
  });

  it("fails on a missing alarm, an alarm in ALARM, or an alarm whose actions are disabled", () => {
    assert.match(judgeAlarms(["a", "b"], [alarm("a")]).detail, /1 missing: b/);
    const firing = judgeAlarms(
      ["a"],
      [{ ...alarm("a", "ALARM"), reason: "Threshold Crossed: 3 datapoints" }],
    );
    assert.equal(firing.status, "fail");
    assert.match(firing.detail, /1 in ALARM: a \(Threshold Crossed: 3 datapoints\)/);
    assert.match(
      judgeAlarms(["a"], [alarm("a", "OK", false)]).detail,
      /1 with actions disabled: a/,
    );
  });

  it("fails when the stack exported no alarm names", () => {
    assert.equal(judgeAlarms([], []).status, "fail");
  });

  it("asks CloudWatch for metric and composite alarms, at most 100 names per call", async () => {
    const aws = mockedAws();
    aws.cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => ({
      MetricAlarms: input.AlarmNames.map((n) => ({
        AlarmName: n,
        StateValue: "OK",
        ActionsEnabled: true,
      })),
    }));
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`);
    const result = await verifyAlarms(aws.clients.cloudwatch, { ...OUTPUTS, alarmNames: names });
    assert.equal(result.status, "ok", result.detail);
    const calls = aws.cloudwatch.commandCalls(DescribeAlarmsCommand);
    assert.deepEqual(
      calls.map((c) => c.args[0].input.AlarmNames?.length),
      [100, 50],
    );
    assert.deepEqual(calls[0]?.args[0].input.AlarmTypes, ["MetricAlarm", "CompositeAlarm"]);
  });

  it("reads every page of DescribeAlarms: an alarm on the second page is not reported missing", async () => {
    const aws = mockedAws();
    // Tokens as sent (the SDK's paginator reuses one input object, so record a copy).
    const tokens: Array<string | undefined> = [];
    aws.cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { NextToken?: string }) => {
      tokens.push(input.NextToken);
      return input.NextToken === undefined
        ? {
            MetricAlarms: [{ AlarmName: "a", StateValue: "OK", ActionsEnabled: true }],
            NextToken: "page-2",
          }
        : { CompositeAlarms: [{ AlarmName: "b", StateValue: "ALARM", StateReason: "threshold" }] };
    });
    const result = await verifyAlarms(aws.clients.cloudwatch, {
      ...OUTPUTS,
      alarmNames: ["a", "b"],
    });
    assert.equal(result.status, "fail");
    assert.equal(result.detail, "1 in ALARM: b (threshold)");
    assert.deepEqual(tokens, [undefined, "page-2"]);
  });

  it("reports an SDK error as a failed check instead of crashing", async () => {
    const aws = mockedAws();
    aws.cloudwatch
      .on(DescribeAlarmsCommand)
      .rejects(awsError("AccessDenied", "not authorized to perform cloudwatch:DescribeAlarms"));
    const result = await verifyAlarms(aws.clients.cloudwatch, OUTPUTS);
    assert.equal(result.status, "fail");
    assert.match(result.detail, /access denied: not authorized/);
  });
});

describe("deploy verify: log retention", () => {
  const [API, WORKER, PG] = OUTPUTS.logGroupNames ?? [];
  const group = (name: string | undefined, retentionInDays?: number) => ({
    name: name ?? "",
    retentionInDays,
  });
  const all30 = () => (OUTPUTS.logGroupNames ?? []).map((n) => group(n, 30));

  /** Answers DescribeLogGroups by prefix from `groups` (name → retention, undefined = never expires). */
  function logsWith(groups: Record<string, number | undefined>) {
    const aws = mockedAws();
    aws.logs.on(DescribeLogGroupsCommand).callsFake((input: { logGroupNamePrefix: string }) => ({
      logGroups: Object.entries(groups)
        .filter(([n]) => n.startsWith(input.logGroupNamePrefix))
        .map(([logGroupName, retentionInDays]) => ({ logGroupName, retentionInDays })),
    }));
    return aws;
  }

  it("passes when every stack log group exists and expires after the configured days", () => {
    const result = judgeLogRetention(OUTPUTS.logGroupNames ?? [], all30(), 30);
    assert.equal(result.status, "ok");
    assert.equal(result.detail, "3 log groups expire after 30 days");
  });

  it("fails on a missing group, naming it", () => {
    const result = judgeLogRetention(OUTPUTS.logGroupNames ?? [], all30().slice(0, 2), 30);
    assert.equal(result.status, "fail");
    assert.match(result.detail, /1 missing: \/aws\/rds\/instance\/huntaze-api-prod\/postgresql/);
    assert.match(result.detail, /run `pulumi refresh` then the deploy/);
  });

  it("fails on a group without retention: it never expires", () => {
    const result = judgeLogRetention(
      OUTPUTS.logGroupNames ?? [],
      [group(API, 30), group(WORKER), group(PG, 30)],
      30,
    );
    assert.equal(result.status, "fail");
    assert.match(
      result.detail,
      /1 never expire \(no retention\): \/aws\/lambda\/huntaze-api-prod-worker/,
    );
  });

  it("fails on a different retention, naming the group's value and the config's", () => {
    const result = judgeLogRetention(
      OUTPUTS.logGroupNames ?? [],
      [group(API, 30), group(WORKER, 30), group(PG, 7)],
      30,
    );
    assert.equal(result.status, "fail");
    assert.match(
      result.detail,
      /\/aws\/rds\/instance\/huntaze-api-prod\/postgresql keeps 7 days, the stack config says 30/,
    );
    assert.match(result.detail, /huntaze-api:logRetentionDays/);
  });

  it("fails when the stack exported no log group names", () => {
    assert.equal(judgeLogRetention([], [], 30).status, "fail");
  });

  it("looks each group up by prefix, following pages, and keeps only the exact name", async () => {
    const aws = mockedAws();
    // The prefix of the api group also matches longer names; the exact one is on page 2.
    aws.logs
      .on(DescribeLogGroupsCommand, { logGroupNamePrefix: API, nextToken: undefined })
      .resolves({
        logGroups: [{ logGroupName: `${API}-canary`, retentionInDays: 1 }],
        nextToken: "p2",
      })
      .on(DescribeLogGroupsCommand, { logGroupNamePrefix: API, nextToken: "p2" })
      .resolves({ logGroups: [{ logGroupName: API, retentionInDays: 30 }] })
      .on(DescribeLogGroupsCommand, { logGroupNamePrefix: WORKER })
      .resolves({ logGroups: [{ logGroupName: WORKER, retentionInDays: 30 }] })
      .on(DescribeLogGroupsCommand, { logGroupNamePrefix: PG })
      .resolves({ logGroups: [{ logGroupName: PG, retentionInDays: 30 }] })
      .on(DescribeLogGroupsCommand, { logGroupNamePrefix: "RDSOSMetrics" })
      .resolves({ logGroups: [{ logGroupName: "RDSOSMetrics", retentionInDays: 30 }] });
    const result = await verifyLogRetention(aws.clients.logs, OUTPUTS, 30);
    assert.equal(result.status, "ok", result.detail);
    assert.match(
      result.detail,
      /3 log groups expire after 30 days; account-wide RDSOSMetrics expires after 30 days/,
    );
    // The api group's exact name is only on page 2 (matched on nextToken "p2" above).
    const prefixes = aws.logs
      .commandCalls(DescribeLogGroupsCommand)
      .map((c) => [c.args[0].input.logGroupNamePrefix, c.args[0].input.limit]);
    assert.deepEqual(prefixes, [
      [API, 50],
      [API, 50],
      [WORKER, 50],
      [PG, 50],
      ["RDSOSMetrics", 50],
    ]);
  });

  it("fails on a group whose prefix only finds longer names (the group itself is missing)", async () => {
    const aws = logsWith({ [`${API}-canary`]: 30, [WORKER]: 30, [PG]: 30, RDSOSMetrics: 30 });
    const result = await verifyLogRetention(aws.clients.logs, OUTPUTS, 30);
    assert.equal(result.status, "fail");
    assert.match(result.detail, /1 missing: \/aws\/lambda\/huntaze-api-prod-api(;|$)/);
  });

  it("warns when the account-wide RDSOSMetrics group never expires, with the one-time fix and the doc", async () => {
    const aws = logsWith({ [API]: 30, [WORKER]: 30, [PG]: 30, RDSOSMetrics: undefined });
    const result = await verifyLogRetention(aws.clients.logs, OUTPUTS, 30);
    assert.equal(result.status, "warn");
    assert.match(
      result.detail,
      /^3 log groups expire after 30 days; the account-wide RDSOSMetrics group/,
    );
    assert.ok(
      result.detail.includes(
        "`aws logs put-retention-policy --log-group-name RDSOSMetrics --retention-in-days 30`",
      ),
      result.detail,
    );
    assert.ok(
      result.detail.includes("docs/PRODUCTION_HARDENING.md#enhanced-monitorings-log-group"),
      result.detail,
    );
  });

  it("notes, without warning, that RDSOSMetrics does not exist yet (no Enhanced Monitoring data)", async () => {
    const aws = logsWith({ [API]: 30, [WORKER]: 30, [PG]: 30 });
    const result = await verifyLogRetention(aws.clients.logs, OUTPUTS, 30);
    assert.equal(result.status, "ok");
    assert.match(
      result.detail,
      /RDSOSMetrics does not exist yet \(no Enhanced Monitoring data so far\)/,
    );
  });

  it("does not look up RDSOSMetrics when the stack has no database", async () => {
    const aws = logsWith({ [API]: 30, [WORKER]: 30, [PG]: 30 });
    const result = await verifyLogRetention(
      aws.clients.logs,
      { ...OUTPUTS, dbInstanceId: undefined },
      30,
    );
    assert.equal(result.status, "ok");
    assert.equal(result.detail, "3 log groups expire after 30 days");
    const prefixes = aws.logs
      .commandCalls(DescribeLogGroupsCommand)
      .map((c) => c.args[0].input.logGroupNamePrefix);
    assert.ok(!prefixes.includes("RDSOSMetrics"), prefixes.join(", "));
  });

  it("judges RDSOSMetrics like any stack group when this stack manages it (it is in logGroupNames)", async () => {
    const aws = logsWith({ [API]: 30, RDSOSMetrics: undefined });
    const result = await verifyLogRetention(
      aws.clients.logs,
      { ...OUTPUTS, logGroupNames: [API ?? "", "RDSOSMetrics"] },
      30,
    );
    assert.equal(result.status, "fail");
    assert.match(result.detail, /1 never expire \(no retention\): RDSOSMetrics/);
    assert.equal(aws.logs.commandCalls(DescribeLogGroupsCommand).length, 2);
  });

  it("fails naming the output when the stack has no logGroupNames output", async () => {
    const aws = logsWith({});
    const result = await verifyLogRetention(
      aws.clients.logs,
      { ...OUTPUTS, logGroupNames: undefined },
      30,
    );
    assert.equal(result.status, "fail");
    assert.match(result.detail, /stack output `logGroupNames` is absent/);
    assert.equal(aws.logs.calls().length, 0);
  });

  it("reports an SDK error as a failed check instead of crashing", async () => {
    const aws = mockedAws();
    aws.logs
      .on(DescribeLogGroupsCommand)
      .rejects(
        awsError("AccessDeniedException", "not authorized to perform logs:DescribeLogGroups"),
      );
    const result = await verifyLogRetention(aws.clients.logs, OUTPUTS, 30);
    assert.equal(result.status, "fail");
    assert.match(result.detail, /access denied: not authorized to perform logs:DescribeLogGroups/);
  });
});

describe("deploy verify: Performance Insights", () => {
  it("passes when enabled, reporting retention and key", async () => {
    const aws = mockedAws();
    aws.rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "huntaze-api-prod-db" })
      .resolves({
        DBInstances: [
          {
            PerformanceInsightsEnabled: true,
            PerformanceInsightsRetentionPeriod: 7,
            PerformanceInsightsKMSKeyId: "arn:aws:kms:us-east-1:1:key/k-1",
          },
        ],
      });
    const result = await verifyPerformanceInsights(aws.clients.rds, OUTPUTS);
    assert.equal(result.status, "ok");
    assert.match(result.detail, /enabled on huntaze-api-prod-db \(retention 7 days, KMS key k-1\)/);
  });

  it("fails when Performance Insights is off", async () => {
    const aws = mockedAws();
    aws.rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ PerformanceInsightsEnabled: false }] });
    const result = await verifyPerformanceInsights(aws.clients.rds, OUTPUTS);
    assert.equal(result.status, "fail");
    assert.match(result.detail, /Performance Insights is disabled/);
  });

  it("only warns when the data tier is not deployed (no dbInstanceId output)", async () => {
    const aws = mockedAws();
    const result = await verifyPerformanceInsights(aws.clients.rds, {
      ...OUTPUTS,
      dbInstanceId: undefined,
    });
    assert.equal(result.status, "warn");
    assert.match(result.detail, /data tier is not deployed/);
  });
});

describe("deploy verify: secret rotation", () => {
  const base = {
    Name: "huntaze-api-prod-app",
    RotationEnabled: true,
    RotationRules: { AutomaticallyAfterDays: 30 },
  };

  it("passes after a recent successful rotation", () => {
    const result = judgeRotation(
      { ...base, LastRotatedDate: new Date(NOW.getTime() - 10 * DAY), $metadata: {} },
      NOW,
    );
    assert.equal(result.status, "ok");
    assert.match(result.detail, /rotation every 30 days, last rotated 2026-11-18/);
  });

  it("passes before the first rotation is due", () => {
    const result = judgeRotation(
      { ...base, NextRotationDate: new Date(NOW.getTime() + 5 * DAY), $metadata: {} },
      NOW,
    );
    assert.equal(result.status, "ok");
    assert.match(result.detail, /not rotated yet, first rotation due 2026-12-03/);
  });

  it("fails when rotation is disabled", () => {
    const result = judgeRotation({ ...base, RotationEnabled: false, $metadata: {} }, NOW);
    assert.equal(result.status, "fail");
    assert.match(result.detail, /rotation is not enabled on huntaze-api-prod-app/);
  });

  it("fails when the last successful rotation is older than the schedule allows", () => {
    const result = judgeRotation(
      { ...base, LastRotatedDate: new Date(NOW.getTime() - 40 * DAY), $metadata: {} },
      NOW,
    );
    assert.equal(result.status, "fail");
    assert.match(
      result.detail,
      /40 days ago\) but the schedule is every 30 days: rotation is failing/,
    );
  });

  it("fails when the first rotation was due and never happened", () => {
    const result = judgeRotation(
      { ...base, NextRotationDate: new Date(NOW.getTime() - 3 * DAY), $metadata: {} },
      NOW,
    );
    assert.equal(result.status, "fail");
    assert.match(result.detail, /no successful rotation yet and the first one was due 2026-11-25/);
  });

  it("reads a rate() schedule expression as the interval", () => {
    const result = judgeRotation(
      {
        ...base,
        RotationRules: { ScheduleExpression: "rate(10 days)" },
        LastRotatedDate: new Date(NOW.getTime() - 12 * DAY),
        $metadata: {},
      },
      NOW,
    );
    assert.equal(result.status, "fail");
  });

  it("warns while a version is AWSPENDING (rotation in progress or failed)", () => {
    const result = judgeRotation(
      {
        ...base,
        LastRotatedDate: new Date(NOW.getTime() - DAY),
        VersionIdsToStages: { "v1-aaaaaaaa": ["AWSCURRENT"], "v2-bbbbbbbb": ["AWSPENDING"] },
        $metadata: {},
      },
      NOW,
    );
    assert.equal(result.status, "warn");
    assert.match(result.detail, /version v2-bbbbb… is AWSPENDING/);
  });

  it("describes the app secret from the stack output", async () => {
    const aws = mockedAws();
    aws.secrets
      .on(DescribeSecretCommand, { SecretId: OUTPUTS.appSecretArn })
      .resolves({ ...base, LastRotatedDate: new Date(NOW.getTime() - DAY) });
    assert.equal((await verifySecretRotation(aws.clients.secrets, OUTPUTS, NOW)).status, "ok");
    assert.equal(
      (
        await verifySecretRotation(
          aws.clients.secrets,
          { ...OUTPUTS, appSecretArn: undefined },
          NOW,
        )
      ).status,
      "warn",
    );
  });
});

describe("deploy verify: alert email subscriptions", () => {
  it("passes when every email subscription is confirmed", () => {
    const result = judgeSubscriptions(TOPIC, [
      { protocol: "email", endpoint: "ops@x", arn: `${TOPIC}:1` },
    ]);
    assert.equal(result.status, "ok");
  });

  it("warns on a pending confirmation and tells the recipient what to do", () => {
    const result = judgeSubscriptions(TOPIC, [
      { protocol: "email", endpoint: "ops@x", arn: `${TOPIC}:1` },
      { protocol: "email", endpoint: "oncall@x", arn: "PendingConfirmation" },
    ]);
    assert.equal(result.status, "warn");
    assert.match(result.detail, /1 confirmed, 1 pending confirmation \(oncall@x\)/);
    assert.match(result.detail, /click "Confirm subscription"/);
    assert.match(result.detail, /"Request confirmation"/);
  });

  it("fails when the topic has no email subscription", () => {
    const result = judgeSubscriptions(TOPIC, [
      { protocol: "lambda", endpoint: "arn:fn", arn: `${TOPIC}:2` },
    ]);
    assert.equal(result.status, "fail");
    assert.match(result.detail, /nobody is notified/);
  });

  it("follows pagination of ListSubscriptionsByTopic", async () => {
    const aws = mockedAws();
    aws.sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: TOPIC, NextToken: undefined })
      .resolves({
        Subscriptions: [{ Protocol: "email", Endpoint: "a@x", SubscriptionArn: `${TOPIC}:1` }],
        NextToken: "t2",
      })
      .on(ListSubscriptionsByTopicCommand, { TopicArn: TOPIC, NextToken: "t2" })
      .resolves({
        Subscriptions: [
          { Protocol: "email", Endpoint: "b@x", SubscriptionArn: "PendingConfirmation" },
        ],
      });
    const result = await verifySubscriptions(aws.clients.sns, OUTPUTS);
    assert.equal(result.status, "warn");
    assert.match(result.detail, /\(b@x\)/);
  });
});

describe("deploy verify: health route", () => {
  it("passes when /health answers 200 with p95 within the target, ignoring the warm-up", async () => {
    const f = fakeFetch([200], [1800, 120, 130, 90, 140, 100, 110, 150, 95, 105, 400]);
    const result = await verifyHealth(
      { ...OUTPUTS, apiUrl: `${OUTPUTS.apiUrl}/` },
      { fetch: f.fetch, clock: f.clock },
    );
    assert.equal(result.status, "ok", result.detail);
    assert.equal(f.urls[0], "https://abc123.execute-api.us-east-1.amazonaws.com/v1/health");
    assert.equal(f.urls.length, 11);
    assert.match(result.detail, /p95 400 ms over 10 requests \(target 500 ms; warm-up 1800 ms/);
  });

  it("fails when p95 exceeds the target", async () => {
    const f = fakeFetch([200], [100, 600]);
    const result = await verifyHealth(OUTPUTS, { fetch: f.fetch, clock: f.clock });
    assert.equal(result.status, "fail");
    assert.match(result.detail, /p95 600 ms/);
  });

  it("fails on a non-200 answer or a network error", async () => {
    const bad = fakeFetch([503], [50]);
    assert.match(
      (await verifyHealth(OUTPUTS, { fetch: bad.fetch, clock: bad.clock })).detail,
      /answered 503, expected 200/,
    );
    const broken: Fetch = async () => {
      throw new Error("getaddrinfo ENOTFOUND abc123.execute-api.us-east-1.amazonaws.com");
    };
    assert.match(
      (await verifyHealth(OUTPUTS, { fetch: broken, clock: () => 0 })).detail,
      /failed: getaddrinfo ENOTFOUND/,
    );
  });

  it("fails when the stack has no apiUrl output", async () => {
    const f = fakeFetch([200], [1]);
    assert.equal(
      (await verifyHealth({ ...OUTPUTS, apiUrl: undefined }, { fetch: f.fetch, clock: f.clock }))
        .status,
      "fail",
    );
  });

  it("computes nearest-rank percentiles", () => {
    assert.equal(percentile([5, 1, 4, 2, 3], 95), 5);
    assert.equal(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        95,
      ),
      95,
    );
  });
});

describe("deploy verify: X-Ray sampling rule", () => {
  it("passes when the rule's fixed rate equals the stack's samplingRate", async () => {
    const aws = mockedAws();
    aws.xray
      .on(GetSamplingRulesCommand, { NextToken: undefined })
      .resolves({
        SamplingRuleRecords: [
          { SamplingRule: { RuleName: "Default", FixedRate: 0.05, ReservoirSize: 1 } as never },
        ],
        NextToken: "p2",
      })
      .on(GetSamplingRulesCommand, { NextToken: "p2" })
      .resolves({
        SamplingRuleRecords: [
          {
            SamplingRule: {
              RuleName: "huntaze-api-prod",
              FixedRate: 0.1,
              ReservoirSize: 1,
            } as never,
          },
        ],
      });
    const result = await verifySamplingRule(aws.clients.xray, OUTPUTS);
    assert.equal(result.status, "ok", result.detail);
    assert.match(result.detail, /rule huntaze-api-prod: fixed rate 0\.1, reservoir 1\/s/);
  });

  it("fails when the rate drifted from the config", async () => {
    const aws = mockedAws();
    aws.xray.on(GetSamplingRulesCommand).resolves({
      SamplingRuleRecords: [
        { SamplingRule: { RuleName: "huntaze-api-prod", FixedRate: 1 } as never },
      ],
    });
    const result = await verifySamplingRule(aws.clients.xray, OUTPUTS);
    assert.equal(result.status, "fail");
    assert.match(result.detail, /samples 1 but the stack config says 0\.1/);
  });

  it("fails when the rule does not exist", async () => {
    const aws = mockedAws();
    aws.xray.on(GetSamplingRulesCommand).resolves({ SamplingRuleRecords: [] });
    assert.match(
      (await verifySamplingRule(aws.clients.xray, OUTPUTS)).detail,
      /sampling rule huntaze-api-prod does not exist/,
    );
  });
});

describe("deploy verify: all checks", () => {
  it("reads the contract's outputs from `pulumi stack output --json`", () => {
    const outputs = readOutputs({
      ...OUTPUTS,
      samplingRate: "0.1",
      alarmNames: ["a", 3, ""],
      logGroupNames: ["/aws/lambda/x", null],
      appSecretArn: "[secret]",
    });
    assert.equal(outputs.samplingRate, 0.1);
    assert.deepEqual(outputs.alarmNames, ["a"]);
    assert.deepEqual(outputs.logGroupNames, ["/aws/lambda/x"]);
    assert.equal(readOutputs({ logGroupNames: "/aws/lambda/x" }).logGroupNames, undefined);
    assert.equal(outputs.appSecretArn, undefined);
  });

  it("runs every check and renders them as a table, one failure not hiding the others", async () => {
    const aws = mockedAws();
    aws.cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: OUTPUTS.alarmNames?.map((n) => ({
        AlarmName: n,
        StateValue: "OK",
        ActionsEnabled: true,
      })),
    });
    aws.rds
      .on(DescribeDBInstancesCommand)
      .rejects(awsError("AccessDenied", "no rds:DescribeDBInstances"));
    aws.logs.on(DescribeLogGroupsCommand).callsFake((input: { logGroupNamePrefix: string }) => ({
      logGroups: [{ logGroupName: input.logGroupNamePrefix, retentionInDays: 90 }],
    }));
    aws.secrets.on(DescribeSecretCommand).resolves({
      Name: "app",
      RotationEnabled: true,
      RotationRules: { AutomaticallyAfterDays: 30 },
      LastRotatedDate: NOW,
    });
    aws.sns.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: [{ Protocol: "email", Endpoint: "a@x", SubscriptionArn: `${TOPIC}:1` }],
    });
    aws.xray.on(GetSamplingRulesCommand).resolves({
      SamplingRuleRecords: [
        { SamplingRule: { RuleName: "huntaze-api-prod", FixedRate: 0.1 } as never },
      ],
    });
    const f = fakeFetch([200], [50]);
    const results = await verifyStack({
      clients: aws.clients,
      outputs: OUTPUTS,
      fetch: f.fetch,
      clock: f.clock,
      now: () => NOW,
      latencyTargetMs: 500,
      logRetentionDays: 90,
    });
    assert.deepEqual(
      results.map((r) => [r.name, r.status]),
      [
        ["alarms", "ok"],
        ["log-retention", "ok"],
        ["performance-insights", "fail"],
        ["secret-rotation", "ok"],
        ["alert-subscriptions", "ok"],
        ["health", "ok"],
        ["xray-sampling", "ok"],
      ],
    );
    const table = renderTable(results);
    assert.match(table, /Check\s+Status\s+Detail/);
    assert.match(table, /performance-insights\s+FAIL\s+access denied/);
    assert.match(table, /log-retention\s+OK\s+3 log groups expire after 90 days/);
  });
});
