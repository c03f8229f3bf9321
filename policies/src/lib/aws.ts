import { UNKNOWN_AT_PREVIEW } from "./known";

/**
 * AWS facts the policies share: how to recognise an AWS-managed KMS key, what a resource's
 * name looks like inside an ARN. Pure string functions, no network.
 */

/**
 * True for AWS-managed keys referenced by alias (`alias/aws/sns`, or its ARN form). A key id
 * or key ARN cannot be told apart offline and counts as customer-managed: AWS-managed keys are
 * normally referenced through their `alias/aws/…` alias.
 */
export function isAwsManagedKey(keyId: string): boolean {
  return /(^|:)alias\/aws\//.test(keyId);
}

/**
 * A usable customer-managed key reference: set, non-empty, and not an `alias/aws/…` key. A
 * reference unknown during preview (`UNKNOWN_AT_PREVIEW`) counts: it is the output of a resource
 * this deploy creates (a lookup of an existing key runs during preview and is known), and no
 * resource can create an AWS-managed key.
 */
export function isCustomerManagedKey(keyId: unknown): boolean {
  if (keyId === UNKNOWN_AT_PREVIEW) return true;
  return typeof keyId === "string" && keyId.trim() !== "" && !isAwsManagedKey(keyId);
}

/** `arn:aws:sqs:us-east-1:123456789012:my-dlq` → `my-dlq` (the last `:` segment). */
export function lastArnSegment(arn: string): string {
  return arn.split(":").pop() ?? arn;
}

/** `arn:aws:logs:…:log-group:/aws/lambda/x:*` → `/aws/lambda/x`. */
export function logGroupNameFromArn(arn: string): string | undefined {
  const m = /:log-group:([^:]+)(?::\*)?$/.exec(arn);
  return m?.[1];
}

/**
 * The log group RDS publishes an instance's log export to (`postgresql`, `upgrade`, …). RDS stores
 * identifiers in lowercase, and so names the group.
 */
export function rdsLogGroupName(identifier: string, logExport: string): string {
  return `/aws/rds/instance/${identifier.toLowerCase()}/${logExport}`;
}

/** Enhanced Monitoring's log group: one per account and region, shared by every instance. */
export const RDS_OS_METRICS_LOG_GROUP = "RDSOSMetrics";

/** Major version from `17.4`, `postgres17` or `17`; undefined when absent or unparsable. */
export function postgresMajor(version: string | undefined): number | undefined {
  if (!version) return undefined;
  const m = /(\d+)/.exec(version);
  return m ? Number(m[1]) : undefined;
}

/** Longest interval, in days, between two runs of a Secrets Manager `rate()`/`cron()` schedule. */
export function scheduleMaxIntervalDays(expression: string): number | undefined {
  const rate = /^rate\(\s*(\d+)\s+(hour|hours|day|days)\s*\)$/.exec(expression.trim());
  if (rate) {
    const n = Number(rate[1]);
    return rate[2].startsWith("hour") ? n / 24 : n;
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (!cron) return undefined;
  // Fields: minutes hours day-of-month month day-of-week year.
  const [, , dom, month, dow] = cron[1].trim().split(/\s+/);
  if (dom === undefined || month === undefined || dow === undefined) return undefined;
  const every = (f: string) => f === "*" || f === "?";
  if (every(dom) && every(dow)) return 1;
  if (dom === "?" && !every(dow)) return 7;
  if (every(month)) return 31;
  return 366;
}
