/**
 * The program's one typed view of stack config. Everything is read and validated here, before
 * any resource is declared; components receive plain typed values and never read config.
 *
 * Defaults are the production values (secure by default). A stack relaxes one only by setting
 * its key explicitly, e.g. staging's `applicationLogLevel: INFO` or `samplingRate: 1`.
 *
 * To add an area (the data tier adds `network`, `database`, …): declare its interface, read its
 * keys in a `read…()` function below with the reader's typed helpers, and add it to
 * `InfraConfig`. Keys that nothing reads are rejected as typos.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigReader, type ConfigSource, type ObjectReader } from "./lib/config-reader";
import { DEFAULT_RUNBOOK_BASE_URL } from "./lib/runbook";

export { ConfigError } from "./lib/config-reader";

/** Keys in this project's namespace read by tools (see /tmp/CONTRACTS.md), not the program. */
export const TOOL_ONLY_KEYS = ["costAssumptions", "expectedAccountId"] as const;

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

export interface FunctionSettings {
  memoryMb: number;
  timeoutSeconds: number;
  /** Reserved concurrency: caps the function and guarantees it that much of the account pool. */
  reservedConcurrency: number;
  /** Threshold of the `Duration` p95 alarm, in milliseconds. */
  durationP95Ms: number;
}

export interface WorkerSettings extends FunctionSettings {
  /** EventBridge schedule expression of the nightly run. */
  schedule: string;
  /** Lambda's own retries of a failed asynchronous invocation before the DLQ (0–2). */
  maxRetries: number;
  /** Oldest an asynchronous event may get before Lambda sends it to the DLQ (60–21600 s). */
  maxEventAgeSeconds: number;
}

export interface InfraConfig {
  project: string;
  stack: string;
  /** `STAGE` for the handlers: `prod` or `staging`. */
  stage: Stage;
  region: string;
  /** The stack file the values came from (messages, docs). */
  stackFile: string;
  runbookBaseUrl: string;
  alerting: { emails: string[] };
  logs: {
    retentionInDays: number;
    applicationLogLevel: ApplicationLogLevel;
    systemLogLevel: SystemLogLevel;
  };
  tracing: { samplingRate: number; reservoirSize: number; priority: number };
  api: FunctionSettings & {
    stageName: string;
    throttle: { rateLimit: number; burstLimit: number };
    executionLogLevel: ApiExecutionLogLevel;
    /** Whether this stack sets the region-wide API Gateway CloudWatch role (one stack per account). */
    manageAccountLogRole: boolean;
    /** Threshold of the API Gateway `Latency` p95 alarm, in milliseconds. */
    latencyP95Ms: number;
    /** Threshold of the API's 5xx rate alarm, in percent of requests. */
    serverErrorRatePercent: number;
  };
  worker: WorkerSettings;
  dlq: { retentionDays: number };
  alarms: { errorRatePercent: number };
  handlers: { slowQueryMs: number };
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const HTTPS_URL = /^https:\/\/[^\s#]+$/;
const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

function readFunction(
  f: ObjectReader,
  defaults: Omit<FunctionSettings, "durationP95Ms"> & {
    durationP95Ms: (timeoutSeconds: number) => number;
  },
  maxTimeout: number,
  timeoutWhy: string,
): FunctionSettings {
  const timeoutSeconds = f.number(
    "timeoutSeconds",
    {
      min: 1,
      max: maxTimeout,
      integer: true,
      expected: `an integer in [1, ${maxTimeout}] (${timeoutWhy})`,
    },
    defaults.timeoutSeconds,
  );
  return {
    memoryMb: f.number("memoryMb", { min: 128, max: 10240, integer: true }, defaults.memoryMb),
    timeoutSeconds,
    reservedConcurrency: f.number(
      "reservedConcurrency",
      {
        min: 1,
        max: 1000,
        integer: true,
        expected: "an integer in [1, 1000] (0 would throttle every invocation)",
      },
      defaults.reservedConcurrency,
    ),
    durationP95Ms: f.number(
      "durationP95Ms",
      {
        min: 1,
        max: timeoutSeconds * 1000,
        expected: "a number of milliseconds below the timeout",
      },
      defaults.durationP95Ms(timeoutSeconds),
    ),
  };
}

/** Validates raw stack config (as `PULUMI_CONFIG` holds it); throws `ConfigError` on any problem. */
export function parseConfig(source: ConfigSource & { stack: string }): InfraConfig {
  const r = new ConfigReader(source);
  for (const key of TOOL_ONLY_KEYS) r.accept(key);

  const region = r.requiredString(
    "aws:region",
    { pattern: /^[a-z]{2}(-gov)?-[a-z]+-\d$/, expected: "an AWS region such as us-east-1" },
    "the AWS region, e.g. `pulumi config set aws:region us-east-1`",
  );

  const stage = r.string(
    "stage",
    { oneOf: STAGES },
    (STAGES as readonly string[]).includes(source.stack) ? source.stack : "",
  ) as Stage;
  if (stage === ("" as Stage)) {
    r.problem(
      `${source.project}:stage must be set to "prod" or "staging" when the stack name (${source.stack}) is neither`,
    );
  }

  const emails = r.stringList(
    "alertEmails",
    {
      pattern: EMAIL,
      expected:
        'a non-empty list of e-mail addresses for alarm notifications, e.g. ["ops@huntaze.example"]',
    },
    { required: true, fallback: [] },
  );

  const retentionInDays = r.number(
    "logRetentionDays",
    {
      min: 30,
      max: 3653,
      integer: true,
      expected: `one of ${LOG_RETENTION_DAYS.join(", ")} (CloudWatch Logs retention values, at least 30)`,
    },
    30,
  );
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retentionInDays)) {
    r.problem(
      `${source.project}:logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")} (CloudWatch Logs retention values, at least 30)`,
    );
  }

  const latencyP95Ms = r.number(
    "latencyP95Ms",
    { min: 50, max: 29000, expected: "a number of milliseconds in [50, 29000]" },
    500,
  );

  const api = r.object(
    "api",
    "an object such as { memoryMb: 512, timeoutSeconds: 10, reservedConcurrency: 50 }",
    (f) =>
      readFunction(
        f,
        {
          memoryMb: 512,
          timeoutSeconds: 10,
          reservedConcurrency: 50,
          durationP95Ms: () => latencyP95Ms,
        },
        29,
        "REST API integrations time out at 29 s",
      ),
  );

  const worker = r.object(
    "worker",
    'an object such as { timeoutSeconds: 300, schedule: "cron(0 3 * * ? *)" }',
    (f): WorkerSettings => {
      const common = readFunction(
        f,
        {
          memoryMb: 1024,
          timeoutSeconds: 300,
          // One run at a time: the nightly roll-up must not race itself.
          reservedConcurrency: 1,
          // A run nearing its timeout is about to fail: warn at 80 % of it.
          durationP95Ms: (timeoutSeconds) => Math.round(timeoutSeconds * 1000 * 0.8),
        },
        900,
        "Lambda's limit",
      );
      return {
        ...common,
        schedule: f.string(
          "schedule",
          { pattern: SCHEDULE, expected: 'an EventBridge schedule such as "cron(0 3 * * ? *)"' },
          "cron(0 3 * * ? *)",
        ),
        maxRetries: f.number("maxRetries", { min: 0, max: 2, integer: true }, 2),
        maxEventAgeSeconds: f.number(
          "maxEventAgeSeconds",
          { min: 60, max: 21600, integer: true },
          3600,
        ),
      };
    },
  );

  const throttle = r.object(
    "apiThrottle",
    "an object such as { rateLimit: 50, burstLimit: 100 }",
    (f) => ({
      rateLimit: f.number("rateLimit", { min: 1, max: 10000 }, 50),
      burstLimit: f.number("burstLimit", { min: 1, max: 5000, integer: true }, 100),
    }),
  );

  const config: InfraConfig = {
    project: source.project,
    stack: source.stack,
    stage,
    region,
    stackFile: source.stackFile,
    runbookBaseUrl: r.string(
      "runbookBaseUrl",
      { pattern: HTTPS_URL, expected: "an https:// URL without a #fragment" },
      DEFAULT_RUNBOOK_BASE_URL,
    ),
    alerting: { emails },
    logs: {
      retentionInDays,
      applicationLogLevel: r.string(
        "applicationLogLevel",
        { oneOf: APPLICATION_LOG_LEVELS },
        "ERROR",
      ) as ApplicationLogLevel,
      systemLogLevel: r.string(
        "systemLogLevel",
        { oneOf: SYSTEM_LOG_LEVELS },
        "WARN",
      ) as SystemLogLevel,
    },
    tracing: {
      samplingRate: r.number("samplingRate", { min: 0, max: 1 }, 0.1),
      reservoirSize: r.number("samplingReservoir", { min: 0, max: 1000, integer: true }, 1),
      priority: r.number("samplingPriority", { min: 1, max: 9999, integer: true }, 1000),
    },
    api: {
      ...api,
      stageName: r.string(
        "apiStageName",
        { pattern: STAGE_NAME, expected: "letters, digits, - or _ (an API Gateway stage name)" },
        "v1",
      ),
      throttle,
      executionLogLevel: r.string(
        "apiExecutionLogLevel",
        { oneOf: API_EXECUTION_LOG_LEVELS },
        "ERROR",
      ) as ApiExecutionLogLevel,
      manageAccountLogRole: r.boolean("manageApiGatewayAccount", true),
      latencyP95Ms,
      serverErrorRatePercent: r.number(
        "api5xxRateThresholdPercent",
        { min: 0.01, max: 100, expected: "a percentage in [0.01, 100]" },
        1,
      ),
    },
    worker,
    dlq: {
      retentionDays: r.number(
        "dlqRetentionDays",
        {
          min: 1,
          max: 14,
          integer: true,
          expected: "an integer in [1, 14] (SQS keeps at most 14 days)",
        },
        14,
      ),
    },
    alarms: {
      errorRatePercent: r.number(
        "errorRateThresholdPercent",
        { min: 0.01, max: 100, expected: "a percentage in [0.01, 100]" },
        1,
      ),
    },
    handlers: {
      slowQueryMs: r.number("slowQueryMs", { min: 1, max: 60000, integer: true }, 200),
    },
  };
  if (throttle.burstLimit < throttle.rateLimit) {
    r.problem(
      `${source.project}:apiThrottle.burstLimit must be at least apiThrottle.rateLimit (${throttle.rateLimit})`,
    );
  }
  r.finish();
  return config;
}

/** Reads the running stack's config from the Pulumi runtime and validates it. */
export function loadConfig(): InfraConfig {
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  return parseConfig({
    project,
    stack,
    stackFile: `Pulumi.${stack}.yaml`,
    values: pulumi.runtime.allConfig(),
  });
}
