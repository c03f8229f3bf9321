import { type CloudWatchClient, paginateDescribeAlarms } from "@aws-sdk/client-cloudwatch";
import {
  type CloudWatchLogsClient,
  paginateDescribeLogGroups,
} from "@aws-sdk/client-cloudwatch-logs";
import { DescribeDBInstancesCommand, type RDSClient } from "@aws-sdk/client-rds";
import { paginateListSubscriptionsByTopic, type SNSClient } from "@aws-sdk/client-sns";
import { paginateGetSamplingRules, type XRayClient } from "@aws-sdk/client-xray";
import { RDS_OS_METRICS_LOG_GROUP as OS_METRICS_LOG_GROUP } from "../../policies/src/lib/aws";
import type { AwsClients } from "./aws";
import { check, listNames, missingOutput, result } from "./checks";
import type { StackOutputs } from "./outputs";
import type { CheckResult } from "./progress";
import { verifySecretRotation } from "./rotation";

export { judgeRotation, verifySecretRotation } from "./rotation";

// ---------------------------------------------------------------- alarms

export interface AlarmState {
  name: string;
  state: string;
  actionsEnabled: boolean;
  reason?: string;
}

/** Every alarm the stack created must exist, have its actions on, and not be in ALARM. */
export function judgeAlarms(expected: string[], found: AlarmState[]): CheckResult {
  const name = "alarms";
  if (expected.length === 0) return result(name, "fail", "stack output `alarmNames` is empty");
  const byName = new Map(found.map((a) => [a.name, a]));
  const missing = expected.filter((n) => !byName.has(n));
  const present = expected.map((n) => byName.get(n)).filter((a): a is AlarmState => !!a);
  const firing = present.filter((a) => a.state === "ALARM");
  const muted = present.filter((a) => !a.actionsEnabled);
  const waiting = present.filter((a) => a.state === "INSUFFICIENT_DATA");
  const problems: string[] = [];
  if (missing.length) problems.push(`${missing.length} missing: ${listNames(missing)}`);
  if (firing.length) {
    problems.push(
      `${firing.length} in ALARM: ${firing.map((a) => `${a.name} (${(a.reason ?? "").slice(0, 120)})`).join("; ")}`,
    );
  }
  if (muted.length)
    problems.push(`${muted.length} with actions disabled: ${listNames(muted.map((a) => a.name))}`);
  if (problems.length) return result(name, "fail", problems.join("; "));
  const note = waiting.length
    ? ` (${waiting.length} INSUFFICIENT_DATA: new alarms wait for their first datapoints)`
    : "";
  return result(
    name,
    "ok",
    `${present.length} alarms exist, actions enabled, none in ALARM${note}`,
  );
}

export async function fetchAlarms(cw: CloudWatchClient, names: string[]): Promise<AlarmState[]> {
  const alarms: AlarmState[] = [];
  // DescribeAlarms accepts at most 100 names per call.
  for (let i = 0; i < names.length; i += 100) {
    const pages = paginateDescribeAlarms(
      { client: cw },
      { AlarmNames: names.slice(i, i + 100), AlarmTypes: ["MetricAlarm", "CompositeAlarm"] },
    );
    for await (const page of pages) {
      for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        alarms.push({
          name: a.AlarmName ?? "",
          state: a.StateValue ?? "UNKNOWN",
          actionsEnabled: a.ActionsEnabled !== false,
          reason: a.StateReason,
        });
      }
    }
  }
  return alarms;
}

export async function verifyAlarms(
  cw: CloudWatchClient,
  outputs: StackOutputs,
): Promise<CheckResult> {
  const names = outputs.alarmNames;
  if (!names) return missingOutput("alarms", "alarmNames", false);
  return check("alarms", async () => judgeAlarms(names, await fetchAlarms(cw, names)));
}

// ---------------------------------------------------------------- log retention

const OS_METRICS_DOC = "docs/PRODUCTION_HARDENING.md#enhanced-monitorings-log-group";

export interface LogGroupRetention {
  name: string;
  /** Absent when the group never expires (CloudWatch Logs' default). */
  retentionInDays?: number;
}

/**
 * Every group the stack exported must exist and expire after exactly the configured days: a
 * group that never expires keeps billing storage forever, and a different value means someone
 * changed it outside Pulumi. `osMetrics` is the account-wide `RDSOSMetrics` group when it was
 * looked up (`null`: it does not exist yet); no stack owns it by default, so its missing
 * retention is a warning with the one-time fix, not a failure.
 */
export function judgeLogRetention(
  expected: string[],
  found: LogGroupRetention[],
  expectedDays: number,
  osMetrics?: LogGroupRetention | null,
): CheckResult {
  const name = "log-retention";
  if (expected.length === 0) return result(name, "fail", "stack output `logGroupNames` is empty");
  const byName = new Map(found.map((g) => [g.name, g]));
  const wanted = [...new Set(expected)];
  const missing = wanted.filter((n) => !byName.has(n));
  const present = wanted.map((n) => byName.get(n)).filter((g): g is LogGroupRetention => !!g);
  const forever = present.filter((g) => g.retentionInDays === undefined);
  const different = present.filter(
    (g) => g.retentionInDays !== undefined && g.retentionInDays !== expectedDays,
  );
  const problems: string[] = [];
  if (missing.length) problems.push(`${missing.length} missing: ${listNames(missing)}`);
  if (forever.length) {
    problems.push(
      `${forever.length} never expire (no retention): ${listNames(forever.map((g) => g.name))}`,
    );
  }
  if (different.length) {
    problems.push(
      `${different.length} with another retention: ${different
        .map(
          (g) => `${g.name} keeps ${g.retentionInDays} days, the stack config says ${expectedDays}`,
        )
        .join("; ")}`,
    );
  }
  const os = judgeOsMetrics(osMetrics);
  if (problems.length) {
    const fix = `the stack sets ${expectedDays} days (huntaze-api:logRetentionDays) on each, so they were changed or deleted outside Pulumi: run \`pulumi refresh\` then the deploy`;
    return result(name, "fail", [problems.join("; "), fix, os?.text].filter(Boolean).join("; "));
  }
  const detail = `${present.length} log groups expire after ${expectedDays} days`;
  return result(name, os?.warn ? "warn" : "ok", os ? `${detail}; ${os.text}` : detail);
}

function judgeOsMetrics(
  group: LogGroupRetention | null | undefined,
): { warn: boolean; text: string } | undefined {
  if (group === undefined) return undefined;
  if (group === null) {
    return {
      warn: false,
      text: `${OS_METRICS_LOG_GROUP} does not exist yet (no Enhanced Monitoring data so far); once it does, set its retention once (${OS_METRICS_DOC})`,
    };
  }
  if (group.retentionInDays === undefined) {
    return {
      warn: true,
      text: `the account-wide ${OS_METRICS_LOG_GROUP} group (Enhanced Monitoring) never expires; set its retention once per account and region: \`aws logs put-retention-policy --log-group-name ${OS_METRICS_LOG_GROUP} --retention-in-days 30\` (see ${OS_METRICS_DOC})`,
    };
  }
  return {
    warn: false,
    text: `account-wide ${OS_METRICS_LOG_GROUP} expires after ${group.retentionInDays} days`,
  };
}

/**
 * Looks each name up with `logGroupNamePrefix` and keeps only the exact match: a prefix also
 * returns longer names (`/aws/lambda/x` finds `/aws/lambda/x-worker`), hence the pagination.
 * Sequential on purpose: DescribeLogGroups has a low per-account rate quota.
 */
export async function fetchLogGroups(
  logs: CloudWatchLogsClient,
  names: string[],
): Promise<LogGroupRetention[]> {
  const groups: LogGroupRetention[] = [];
  for (const name of new Set(names)) {
    const pages = paginateDescribeLogGroups(
      { client: logs, pageSize: 50 },
      { logGroupNamePrefix: name },
    );
    for await (const page of pages) {
      const match = (page.logGroups ?? []).find((g) => g.logGroupName === name);
      if (match) {
        groups.push({ name, retentionInDays: match.retentionInDays });
        break;
      }
    }
  }
  return groups;
}

export async function verifyLogRetention(
  logs: CloudWatchLogsClient,
  outputs: StackOutputs,
  expectedDays: number,
): Promise<CheckResult> {
  const name = "log-retention";
  const names = outputs.logGroupNames;
  if (!names) return missingOutput(name, "logGroupNames", false);
  return check(name, async () => {
    const found = await fetchLogGroups(logs, names);
    // RDSOSMetrics only matters with a database, and is judged with the others when this
    // stack manages it (database.manageOsMetricsLogGroup puts it in logGroupNames).
    let osMetrics: LogGroupRetention | null | undefined;
    if (outputs.dbInstanceId && !names.includes(OS_METRICS_LOG_GROUP)) {
      osMetrics = (await fetchLogGroups(logs, [OS_METRICS_LOG_GROUP]))[0] ?? null;
    }
    return judgeLogRetention(names, found, expectedDays, osMetrics);
  });
}

// ---------------------------------------------------------------- Performance Insights

export async function verifyPerformanceInsights(
  rds: RDSClient,
  outputs: StackOutputs,
): Promise<CheckResult> {
  const name = "performance-insights";
  const id = outputs.dbInstanceId;
  if (!id) return missingOutput(name, "dbInstanceId", true);
  return check(name, async () => {
    const res = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    const db = res.DBInstances?.[0];
    if (!db) return result(name, "fail", `instance ${id} not found`);
    if (db.PerformanceInsightsEnabled !== true) {
      return result(
        name,
        "fail",
        `Performance Insights is disabled on ${id}; the stack sets it, so the instance drifted: run \`pulumi refresh\` then the deploy`,
      );
    }
    const key = db.PerformanceInsightsKMSKeyId
      ? `, KMS key ${db.PerformanceInsightsKMSKeyId.split("/").pop()}`
      : "";
    return result(
      name,
      "ok",
      `enabled on ${id} (retention ${db.PerformanceInsightsRetentionPeriod ?? 7} days${key})`,
    );
  });
}

// ---------------------------------------------------------------- SNS email subscriptions

export interface Subscription {
  protocol: string;
  endpoint: string;
  arn: string;
}

export function judgeSubscriptions(topicArn: string, subs: Subscription[]): CheckResult {
  const name = "alert-subscriptions";
  const email = subs.filter((s) => s.protocol === "email" || s.protocol === "email-json");
  if (email.length === 0) {
    return result(
      name,
      "fail",
      `no email subscription on ${topicArn.split(":").pop()}: nobody is notified when an alarm fires; add the alert emails to the stack config and deploy`,
    );
  }
  const pending = email.filter((s) => s.arn === "PendingConfirmation");
  const confirmed = email.length - pending.length;
  if (pending.length > 0) {
    return result(
      name,
      "warn",
      `${confirmed} confirmed, ${pending.length} pending confirmation (${pending.map((s) => s.endpoint).join(", ")}): each recipient must open the "AWS Notification - Subscription Confirmation" email and click "Confirm subscription" (lost email: SNS console → Topics → ${topicArn.split(":").pop()} → Subscriptions → "Request confirmation"). Alarms are not delivered to them until then`,
    );
  }
  return result(name, "ok", `${confirmed} email subscription(s) confirmed`);
}

export async function verifySubscriptions(
  sns: SNSClient,
  outputs: StackOutputs,
): Promise<CheckResult> {
  const name = "alert-subscriptions";
  const topicArn = outputs.alarmTopicArn;
  if (!topicArn) return missingOutput(name, "alarmTopicArn", false);
  return check(name, async () => {
    const subs: Subscription[] = [];
    for await (const page of paginateListSubscriptionsByTopic(
      { client: sns },
      { TopicArn: topicArn },
    )) {
      for (const s of page.Subscriptions ?? []) {
        subs.push({
          protocol: s.Protocol ?? "",
          endpoint: s.Endpoint ?? "",
          arn: s.SubscriptionArn ?? "",
        });
      }
    }
    return judgeSubscriptions(topicArn, subs);
  });
}

// ---------------------------------------------------------------- health route

export type Fetch = (url: string, init: { signal: AbortSignal }) => Promise<{ status: number }>;

export interface HealthOptions {
  fetch: Fetch;
  /** High-resolution clock in ms. */
  clock: () => number;
  /** @default 500 (the p95 latency SLO) */
  targetMs?: number;
  /** Measured requests after one warm-up request. @default 10 */
  samples?: number;
  /** Per-request timeout. @default 10000 */
  timeoutMs?: number;
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

/**
 * `GET ${apiUrl}/health` must answer 200 with p95 within the target. The first request is a
 * warm-up (it may hit a cold start, which the SLO's p95 over real traffic absorbs); timings
 * are measured from this machine, so they include its network round trip to the region.
 */
export async function verifyHealth(
  outputs: StackOutputs,
  options: HealthOptions,
): Promise<CheckResult> {
  const name = "health";
  if (!outputs.apiUrl) return missingOutput(name, "apiUrl", false);
  const url = `${outputs.apiUrl.replace(/\/+$/, "")}/health`;
  const target = options.targetMs ?? 500;
  const samples = options.samples ?? 10;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const timings: number[] = [];
  let warmupMs = 0;
  for (let i = 0; i <= samples; i++) {
    const started = options.clock();
    let status: number;
    try {
      status = (await options.fetch(url, { signal: AbortSignal.timeout(timeoutMs) })).status;
    } catch (err) {
      return result(name, "fail", `GET ${url} failed: ${(err as Error).message}`);
    }
    const elapsed = options.clock() - started;
    if (status !== 200) return result(name, "fail", `GET ${url} answered ${status}, expected 200`);
    if (i === 0) warmupMs = elapsed;
    else timings.push(elapsed);
  }
  const p95 = percentile(timings, 95);
  const detail = `GET ${url}: 200 x${samples + 1}, p95 ${Math.round(p95)} ms over ${samples} requests (target ${target} ms; warm-up ${Math.round(warmupMs)} ms, measured from this machine)`;
  return result(name, p95 <= target ? "ok" : "fail", detail);
}

// ---------------------------------------------------------------- X-Ray sampling rule

export async function verifySamplingRule(
  xray: XRayClient,
  outputs: StackOutputs,
): Promise<CheckResult> {
  const name = "xray-sampling";
  const { samplingRuleName: ruleName, samplingRate: expected } = outputs;
  if (!ruleName) return missingOutput(name, "samplingRuleName", false);
  if (expected === undefined) return missingOutput(name, "samplingRate", false);
  return check(name, async () => {
    for await (const page of paginateGetSamplingRules({ client: xray }, {})) {
      const rule = page.SamplingRuleRecords?.find(
        (r) => r.SamplingRule?.RuleName === ruleName,
      )?.SamplingRule;
      if (!rule) continue;
      const rate = rule.FixedRate ?? Number.NaN;
      if (Math.abs(rate - expected) > 1e-9) {
        return result(
          name,
          "fail",
          `rule ${ruleName} samples ${rate} but the stack config says ${expected}: it was changed outside Pulumi; run \`pulumi refresh\` then the deploy`,
        );
      }
      return result(
        name,
        "ok",
        `rule ${ruleName}: fixed rate ${rate}, reservoir ${rule.ReservoirSize ?? 0}/s`,
      );
    }
    return result(name, "fail", `sampling rule ${ruleName} does not exist`);
  });
}

// ---------------------------------------------------------------- all checks

export interface VerifyOptions {
  clients: AwsClients;
  outputs: StackOutputs;
  fetch: Fetch;
  clock: () => number;
  now: () => Date;
  latencyTargetMs: number;
  /** Retention every stack log group must have (`huntaze-api:logRetentionDays`). */
  logRetentionDays: number;
}

/** Runs every check (independent ones in parallel); one failing check never hides the others. */
export async function verifyStack(options: VerifyOptions): Promise<CheckResult[]> {
  const { clients, outputs } = options;
  const [alarms, logRetention, pi, rotation, subs, sampling] = await Promise.all([
    verifyAlarms(clients.cloudwatch, outputs),
    verifyLogRetention(clients.logs, outputs, options.logRetentionDays),
    verifyPerformanceInsights(clients.rds, outputs),
    verifySecretRotation(clients.secrets, outputs, options.now()),
    verifySubscriptions(clients.sns, outputs),
    verifySamplingRule(clients.xray, outputs),
  ]);
  // Sequential on purpose: latency measured while other calls run would be noisier.
  const health = await verifyHealth(outputs, {
    fetch: options.fetch,
    clock: options.clock,
    targetMs: options.latencyTargetMs,
  });
  return [alarms, logRetention, pi, rotation, subs, health, sampling];
}
