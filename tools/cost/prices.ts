/**
 * us-east-1 list prices used by the cost estimate (`npm run preview -- --stack <s> --cost`).
 *
 * Every price names the AWS pricing page it comes from. `confirmed: false` marks a figure
 * that could not be re-read from a stored copy of that page when the table was dated (the
 * machines that build this project have no web access); the estimate prints such lines
 * with a dagger (†) so nobody mistakes them for checked numbers. Update the date when you
 * re-check the table.
 */

export const PRICES_AS_OF = "2026-11-28";
export const PRICE_REGION = "us-east-1";
/** Hours in the month used by AWS's own calculator. */
export const HOURS_PER_MONTH = 730;
/** Days in that month: a twelfth of a 365-day year. */
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

export interface Price {
  usd: number;
  unit: string;
  source: string;
  confirmed: boolean;
  note?: string;
}

const KMS = "https://aws.amazon.com/kms/pricing/";
const SECRETS = "https://aws.amazon.com/secrets-manager/pricing/";
const CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/";
const PRIVATELINK = "https://aws.amazon.com/privatelink/pricing/";
const VPC = "https://aws.amazon.com/vpc/pricing/";
const RDS_PG = "https://aws.amazon.com/rds/postgresql/pricing/";
const PI = "https://aws.amazon.com/rds/performance-insights/pricing/";
const RDS_PROXY = "https://aws.amazon.com/rds/proxy/pricing/";
const XRAY = "https://aws.amazon.com/xray/pricing/";
const APIGW = "https://aws.amazon.com/api-gateway/pricing/";
const LAMBDA = "https://aws.amazon.com/lambda/pricing/";
const SNS = "https://aws.amazon.com/sns/pricing/";
const SQS = "https://aws.amazon.com/sqs/pricing/";
const EVENTBRIDGE = "https://aws.amazon.com/eventbridge/pricing/";
const COGNITO = "https://aws.amazon.com/cognito/pricing/";
const WAF = "https://aws.amazon.com/waf/pricing/";

export const PRICES = {
  kmsKeyMonth: {
    usd: 1.0,
    unit: "key-month",
    source: KMS,
    confirmed: true,
    note: "each automatic yearly rotation adds $1/month for the first two rotations (max $3/key-month)",
  },
  kmsRequest: { usd: 0.03 / 10_000, unit: "request", source: KMS, confirmed: true },
  secretMonth: { usd: 0.4, unit: "secret-month", source: SECRETS, confirmed: true },
  secretsApiCall: { usd: 0.05 / 10_000, unit: "API call", source: SECRETS, confirmed: true },
  alarmMetricStandard: {
    usd: 0.1,
    unit: "alarm metric-month",
    source: CLOUDWATCH,
    confirmed: true,
    note: "a metric-math alarm is billed per metric it reads",
  },
  alarmMetricHighResolution: {
    usd: 0.3,
    unit: "alarm metric-month",
    source: CLOUDWATCH,
    confirmed: true,
  },
  compositeAlarm: { usd: 0.5, unit: "alarm-month", source: CLOUDWATCH, confirmed: true },
  dashboardMonth: { usd: 3.0, unit: "dashboard-month", source: CLOUDWATCH, confirmed: true },
  logsIngestGb: {
    usd: 0.5,
    unit: "GB ingested",
    source: CLOUDWATCH,
    confirmed: true,
    note: "Standard log class, first tier",
  },
  logsStorageGbMonth: {
    usd: 0.03,
    unit: "GB-month stored",
    source: CLOUDWATCH,
    confirmed: true,
    note: "billed on compressed size, so raw GB is an upper bound",
  },
  interfaceEndpointAzHour: {
    usd: 0.01,
    unit: "endpoint-AZ-hour",
    source: PRIVATELINK,
    confirmed: true,
  },
  interfaceEndpointGb: { usd: 0.01, unit: "GB processed", source: PRIVATELINK, confirmed: true },
  natGatewayHour: { usd: 0.045, unit: "NAT gateway-hour", source: VPC, confirmed: true },
  natGatewayGb: { usd: 0.045, unit: "GB processed", source: VPC, confirmed: true },
  rdsProxyVcpuHour: {
    usd: 0.015,
    unit: "vCPU-hour of the target instance",
    source: RDS_PROXY,
    confirmed: false,
    note: "billed on the target instance's vCPUs, at least 2",
  },
  rdsGp3GbMonth: {
    usd: 0.115,
    unit: "GB-month (Single-AZ)",
    source: RDS_PG,
    confirmed: true,
    note: "gp2 is the same price; Multi-AZ doubles it",
  },
  rdsGp3ExtraIops: {
    usd: 0.02,
    unit: "IOPS-month above the gp3 baseline",
    source: RDS_PG,
    confirmed: true,
  },
  rdsGp3ExtraThroughput: {
    usd: 0.08,
    unit: "MiB/s-month above the gp3 baseline",
    source: RDS_PG,
    confirmed: false,
  },
  rdsIo1GbMonth: { usd: 0.125, unit: "GB-month (Single-AZ)", source: RDS_PG, confirmed: false },
  rdsIo1Iops: { usd: 0.1, unit: "IOPS-month (Single-AZ)", source: RDS_PG, confirmed: false },
  performanceInsightsFirstMonth: {
    usd: 1.7561,
    unit: "vCPU-month",
    source: PI,
    confirmed: false,
    note: "retention beyond the free 7 days; the us-east-1 figure was not available offline, this is the ap-northeast-1 rate (Tokyo is dearer, so an upper bound)",
  },
  performanceInsightsExtraMonth: {
    usd: 0.0739,
    unit: "vCPU-month per extra month of retention",
    source: PI,
    confirmed: false,
    note: "ap-northeast-1 rate, an upper bound for us-east-1",
  },
  xrayTraceRecorded: { usd: 5 / 1_000_000, unit: "trace recorded", source: XRAY, confirmed: true },
  xrayTraceRetrieved: {
    usd: 0.5 / 1_000_000,
    unit: "trace retrieved or scanned",
    source: XRAY,
    confirmed: true,
  },
  apiGatewayRestRequest: {
    usd: 3.5 / 1_000_000,
    unit: "REST API request (first 333 million)",
    source: APIGW,
    confirmed: true,
  },
  apiGatewayHttpRequest: {
    usd: 1.0 / 1_000_000,
    unit: "HTTP API request (first 300 million)",
    source: APIGW,
    confirmed: true,
  },
  lambdaRequest: { usd: 0.2 / 1_000_000, unit: "request", source: LAMBDA, confirmed: true },
  lambdaGbSecondArm: {
    usd: 0.0000133334,
    unit: "GB-second (arm64)",
    source: LAMBDA,
    confirmed: true,
  },
  lambdaGbSecondX86: {
    usd: 0.0000166667,
    unit: "GB-second (x86_64)",
    source: LAMBDA,
    confirmed: true,
  },
  snsPublish: { usd: 0.5 / 1_000_000, unit: "publish", source: SNS, confirmed: true },
  snsEmail: { usd: 2.0 / 100_000, unit: "email notification", source: SNS, confirmed: true },
  sqsRequest: {
    usd: 0.4 / 1_000_000,
    unit: "request (standard queue)",
    source: SQS,
    confirmed: true,
  },
  eventBridgeRule: {
    usd: 0,
    unit: "rule",
    source: EVENTBRIDGE,
    confirmed: true,
    note: "scheduled rules and AWS service events on the default bus carry no charge",
  },
  // Identity and edge firewall (dated 2026-12-03; not re-read from a stored page: †).
  cognitoLiteMau: {
    usd: 0.0055,
    unit: "monthly active user above 10,000",
    source: COGNITO,
    confirmed: false,
    note: "Lite tier (the pool's userPoolTier): the first 10,000 MAUs of an account are free",
  },
  wafWebAclMonth: { usd: 5.0, unit: "web ACL-month", source: WAF, confirmed: false },
  wafRuleMonth: {
    usd: 1.0,
    unit: "rule-month",
    source: WAF,
    confirmed: false,
    note: "each AWS managed rule group (not the paid ones) counts as one rule",
  },
  wafRequest: { usd: 0.6 / 1_000_000, unit: "request inspected", source: WAF, confirmed: false },
} satisfies Record<string, Price>;

export type PriceKey = keyof typeof PRICES;

/**
 * RDS for PostgreSQL on-demand, Single-AZ, USD per instance-hour (Multi-AZ with one standby
 * is twice this). vCPUs drive the Performance Insights price.
 */
export const RDS_INSTANCE_CLASSES: Record<
  string,
  { hourly: number; vcpus: number; confirmed: boolean }
> = {
  "db.t4g.micro": { hourly: 0.016, vcpus: 2, confirmed: true },
  "db.t4g.small": { hourly: 0.032, vcpus: 2, confirmed: true },
  "db.t4g.medium": { hourly: 0.065, vcpus: 2, confirmed: true },
  "db.t4g.large": { hourly: 0.129, vcpus: 2, confirmed: false },
  "db.t3.micro": { hourly: 0.018, vcpus: 2, confirmed: false },
  "db.t3.small": { hourly: 0.036, vcpus: 2, confirmed: false },
  "db.t3.medium": { hourly: 0.072, vcpus: 2, confirmed: false },
  "db.t3.large": { hourly: 0.145, vcpus: 2, confirmed: false },
};
export const RDS_INSTANCE_SOURCE = RDS_PG;

/**
 * API Gateway REST API requests, tiered per account and month: [requests in the tier, USD per
 * million]. The first tier is `apiGatewayRestRequest`.
 */
export const API_GATEWAY_REST_TIERS: ReadonlyArray<readonly [number, number]> = [
  [333e6, PRICES.apiGatewayRestRequest.usd * 1e6],
  [667e6, 2.8],
  [19e9, 2.38],
  [Number.POSITIVE_INFINITY, 1.51],
];

/** Cognito monthly active users free per account (Lite tier). */
export const COGNITO_FREE_MONTHLY_ACTIVE_USERS = 10_000;

/** Performance Insights retention (days) included at no charge. */
export const PERFORMANCE_INSIGHTS_FREE_RETENTION_DAYS = 7;

/** RDS Proxy bills at least this many vCPUs of its target instance. */
export const RDS_PROXY_MIN_VCPUS = 2;

/**
 * gp3 storage includes a baseline of IOPS and throughput; only what is provisioned above it is
 * billed (`rdsGp3ExtraIops`, `rdsGp3ExtraThroughput`). Volumes from `largeFromGb` get the larger one.
 */
export const RDS_GP3_BASELINE = {
  largeFromGb: 400,
  iops: 3_000,
  largeIops: 12_000,
  throughputMiBs: 125,
  largeThroughputMiBs: 500,
} as const;
