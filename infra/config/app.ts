/**
 * Stack config of the API, the worker, logs, tracing and alarms: one schema per key, with the
 * production values as defaults (secure by default; a stack relaxes one only by setting it).
 */
import { DEFAULT_RUNBOOK_BASE_URL } from "../lib/runbook";
import {
  flag,
  number,
  numberIn,
  objectKey,
  oneOf,
  optional,
  required,
  stringList,
  text,
  whenClean,
  withDefault,
} from "./fields";
import * as z from "./zod.bundle";

export const STAGES = ["prod", "staging"] as const;
export type Stage = (typeof STAGES)[number];

export const APPLICATION_LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
export type ApplicationLogLevel = (typeof APPLICATION_LOG_LEVELS)[number];
export const SYSTEM_LOG_LEVELS = ["DEBUG", "INFO", "WARN"] as const;
export type SystemLogLevel = (typeof SYSTEM_LOG_LEVELS)[number];
export const API_EXECUTION_LOG_LEVELS = ["ERROR", "INFO", "OFF"] as const;
export type ApiExecutionLogLevel = (typeof API_EXECUTION_LOG_LEVELS)[number];

/**
 * Retention values CloudWatch Logs accepts, from 30 days up: the project's floor is 30 days
 * (the policy pack enforces the same minimum), and 0 ("never expire") is not offered.
 */
export const LOG_RETENTION_DAYS = [
  30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const EMAILS_EXPECTED =
  'a non-empty list of e-mail addresses for alarm notifications, e.g. ["ops@huntaze.example"]';
const RETENTION_EXPECTED = `one of ${LOG_RETENTION_DAYS.join(", ")} (CloudWatch Logs retention values, at least 30)`;

/** Memory, timeout, reserved concurrency and the `Duration` p95 alarm of one function. */
function functionFields(
  defaults: { memoryMb: number; timeoutSeconds: number; reservedConcurrency: number },
  maxTimeout: number,
  timeoutWhy: string,
) {
  return {
    memoryMb: withDefault(number({ min: 128, max: 10240, integer: true }), defaults.memoryMb),
    timeoutSeconds: withDefault(
      number({
        min: 1,
        max: maxTimeout,
        integer: true,
        expected: `an integer in [1, ${maxTimeout}] (${timeoutWhy})`,
      }),
      defaults.timeoutSeconds,
    ),
    /** Reserved concurrency: caps the function and guarantees it that much of the account pool. */
    reservedConcurrency: withDefault(
      number({
        min: 1,
        max: 1000,
        integer: true,
        expected: "an integer in [1, 1000] (0 would throttle every invocation)",
      }),
      defaults.reservedConcurrency,
    ),
    /** Threshold of the `Duration` p95 alarm, in milliseconds (below the timeout). */
    durationP95Ms: optional(number({ min: 1, max: 900_000, expected: DURATION_EXPECTED })),
  };
}

const DURATION_EXPECTED = "a number of milliseconds below the timeout";

/** The `Duration` p95 threshold must leave the function time to finish before its timeout. */
const durationBelowTimeout = z.superRefine(
  (f: { timeoutSeconds: number; durationP95Ms?: number | undefined }, ctx) => {
    if (f.durationP95Ms !== undefined && f.durationP95Ms > f.timeoutSeconds * 1000) {
      ctx.addIssue({
        code: "custom",
        path: ["durationP95Ms"],
        message: `must be ${DURATION_EXPECTED}`,
      });
    }
  },
  whenClean("timeoutSeconds", "durationP95Ms"),
);

const api = objectKey(
  functionFields(
    { memoryMb: 512, timeoutSeconds: 10, reservedConcurrency: 50 },
    29,
    "REST API integrations time out at 29 s",
  ),
  "an object such as { memoryMb: 512, timeoutSeconds: 10, reservedConcurrency: 50 }",
  durationBelowTimeout,
);

const worker = objectKey(
  {
    // One run at a time: the nightly roll-up must not race itself.
    ...functionFields(
      { memoryMb: 1024, timeoutSeconds: 300, reservedConcurrency: 1 },
      900,
      "Lambda's limit",
    ),
    /** EventBridge schedule expression of the nightly run. */
    schedule: withDefault(
      text({
        pattern: /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/,
        expected: 'an EventBridge schedule such as "cron(0 3 * * ? *)"',
      }),
      "cron(0 3 * * ? *)",
    ),
    /** Lambda's own retries of a failed asynchronous invocation before the DLQ (0–2). */
    maxRetries: withDefault(number({ min: 0, max: 2, integer: true }), 2),
    /** Oldest an asynchronous event may get before Lambda sends it to the DLQ (60–21600 s). */
    maxEventAgeSeconds: withDefault(number({ min: 60, max: 21600, integer: true }), 3600),
  },
  'an object such as { timeoutSeconds: 300, schedule: "cron(0 3 * * ? *)" }',
  durationBelowTimeout,
);

const apiThrottle = objectKey(
  {
    rateLimit: withDefault(number({ min: 1, max: 10000 }), 50),
    burstLimit: withDefault(number({ min: 1, max: 5000, integer: true }), 100),
  },
  "an object such as { rateLimit: 50, burstLimit: 100 }",
  z.superRefine(
    (t: { rateLimit: number; burstLimit: number }, ctx) => {
      if (t.burstLimit < t.rateLimit) {
        ctx.addIssue({
          code: "custom",
          path: ["burstLimit"],
          message: `must be at least apiThrottle.rateLimit (${t.rateLimit})`,
        });
      }
    },
    whenClean("rateLimit", "burstLimit"),
  ),
);

const percent = (min: number) =>
  number({ min, max: 100, expected: `a percentage in [${min}, 100]` });

/** Keys of the API, the worker and their observability, in the order they are checked. */
export const appKeys = {
  "aws:region": required(
    text({ pattern: /^[a-z]{2}(-gov)?-[a-z]+-\d$/, expected: "an AWS region such as us-east-1" }),
    "is required: the AWS region, e.g. `pulumi config set aws:region us-east-1`",
  ),
  /** `STAGE` for the handlers; defaults to the stack name when that is a stage. */
  stage: optional(oneOf(STAGES)),
  alertEmails: required(
    stringList({
      pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
      expected: EMAILS_EXPECTED,
      json: true,
      nonEmpty: true,
    }),
    `must be ${EMAILS_EXPECTED}`,
  ),
  logRetentionDays: withDefault(
    numberIn(
      { min: 30, max: 3653, integer: true, expected: RETENTION_EXPECTED },
      LOG_RETENTION_DAYS,
      () => `must be ${RETENTION_EXPECTED}`,
    ),
    30,
  ),
  latencyP95Ms: withDefault(
    number({ min: 50, max: 29000, expected: "a number of milliseconds in [50, 29000]" }),
    500,
  ),
  api,
  worker,
  apiThrottle,
  runbookBaseUrl: withDefault(
    text({ pattern: /^https:\/\/[^\s#]+$/, expected: "an https:// URL without a #fragment" }),
    DEFAULT_RUNBOOK_BASE_URL,
  ),
  applicationLogLevel: withDefault(oneOf(APPLICATION_LOG_LEVELS), "ERROR"),
  systemLogLevel: withDefault(oneOf(SYSTEM_LOG_LEVELS), "WARN"),
  samplingRate: withDefault(number({ min: 0, max: 1 }), 0.1),
  samplingReservoir: withDefault(number({ min: 0, max: 1000, integer: true }), 1),
  samplingPriority: withDefault(number({ min: 1, max: 9999, integer: true }), 1000),
  apiStageName: withDefault(
    text({
      pattern: /^[A-Za-z0-9_-]{1,128}$/,
      expected: "letters, digits, - or _ (an API Gateway stage name)",
    }),
    "v1",
  ),
  apiExecutionLogLevel: withDefault(oneOf(API_EXECUTION_LOG_LEVELS), "ERROR"),
  /** Whether this stack sets the region-wide API Gateway CloudWatch role (one stack per account). */
  manageApiGatewayAccount: withDefault(flag(), true),
  api5xxRateThresholdPercent: withDefault(percent(0.01), 1),
  dlqRetentionDays: withDefault(
    number({
      min: 1,
      max: 14,
      integer: true,
      expected: "an integer in [1, 14] (SQS keeps at most 14 days)",
    }),
    14,
  ),
  errorRateThresholdPercent: withDefault(percent(0.01), 1),
  /** Slow queries a minute (`SlowQueries`, the handlers' metric) above which the alarm pages. */
  slowQueryAlarmPerMinute: withDefault(
    number({ min: 0, max: 100000, integer: true, expected: "a whole number of queries ≥ 0" }),
    5,
  ),
  slowQueryMs: withDefault(number({ min: 1, max: 60000, integer: true }), 200),
  /** The migration function, invoked on deploy. */
  migrations: objectKey(
    {
      memoryMb: withDefault(number({ min: 128, max: 10240, integer: true }), 1024),
      timeoutSeconds: withDefault(
        number({
          min: 30,
          max: 900,
          integer: true,
          expected: "an integer in [30, 900] (Lambda's limit; the deploy waits for it)",
        }),
        300,
      ),
    },
    "an object such as { memoryMb: 1024, timeoutSeconds: 300 }",
  ),
};

export type AppKeys = z.output<z.ZodMiniObject<typeof appKeys>>;

/** The app part of `InfraConfig`, in the shape components take. */
export function appSettings(k: AppKeys, stage: Stage) {
  return {
    /** `STAGE` for the handlers: `prod` or `staging`. */
    stage,
    region: k["aws:region"],
    runbookBaseUrl: k.runbookBaseUrl,
    alerting: { emails: k.alertEmails },
    logs: {
      retentionInDays: k.logRetentionDays as number,
      applicationLogLevel: k.applicationLogLevel,
      systemLogLevel: k.systemLogLevel,
    },
    tracing: {
      samplingRate: k.samplingRate,
      reservoirSize: k.samplingReservoir,
      priority: k.samplingPriority,
    },
    api: {
      ...k.api,
      // The API function's Duration p95 follows the API's latency target unless set.
      durationP95Ms: k.api.durationP95Ms ?? k.latencyP95Ms,
      stageName: k.apiStageName,
      throttle: k.apiThrottle,
      executionLogLevel: k.apiExecutionLogLevel,
      manageAccountLogRole: k.manageApiGatewayAccount,
      /** Threshold of the API Gateway `Latency` p95 alarm, in milliseconds. */
      latencyP95Ms: k.latencyP95Ms,
      /** Threshold of the API's 5xx rate alarm, in percent of requests. */
      serverErrorRatePercent: k.api5xxRateThresholdPercent,
    },
    worker: {
      ...k.worker,
      // A run nearing its timeout is about to fail: warn at 80 % of it.
      durationP95Ms: k.worker.durationP95Ms ?? Math.round(k.worker.timeoutSeconds * 1000 * 0.8),
    },
    dlq: { retentionDays: k.dlqRetentionDays },
    alarms: {
      errorRatePercent: k.errorRateThresholdPercent,
      slowQueriesPerMinute: k.slowQueryAlarmPerMinute,
    },
    handlers: { slowQueryMs: k.slowQueryMs },
    migrations: k.migrations,
  };
}
