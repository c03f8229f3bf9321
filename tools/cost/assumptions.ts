import { usageError } from "../lib/errors";
import type { LoadedStackConfig } from "../preview/stack-config";

export const COST_ASSUMPTIONS_KEY = "huntaze-api:costAssumptions";

/**
 * Usage the bill depends on but the program cannot know. Override any of them per stack:
 *
 * ```yaml
 * # Pulumi.prod.yaml
 * config:
 *   huntaze-api:costAssumptions:
 *     requestsPerMonth: 3000000
 *     logIngestGbPerMonth: 5
 * ```
 */
export interface CostAssumptions {
  /** API requests per month (API Gateway requests = API function invocations). @default 1000000 */
  requestsPerMonth: number;
  /** Mean billed duration of an API function invocation, ms. @default 120 */
  apiAvgDurationMs: number;
  /** Mean duration of a scheduled function invocation (the worker), ms. @default 5000 */
  scheduledAvgDurationMs: number;
  /** Invocations per month of functions neither behind the API nor on a schedule (e.g. the migration function, once per deploy). @default 30 */
  otherInvocationsPerMonth: number;
  /** Mean duration of those other invocations, ms. @default 10000 */
  otherAvgDurationMs: number;
  /** CloudWatch Logs ingested per month by the whole stack (functions, API access logs, RDS exports, Enhanced Monitoring), GB. @default 2 */
  logIngestGbPerMonth: number;
  /** X-Ray traces retrieved or scanned per month (console, Insights). @default 0 */
  xrayTracesRetrievedPerMonth: number;
  /** Secrets Manager API calls per month (GetSecretValue on cold starts, rotations). @default 20000 */
  secretsApiCallsPerMonth: number;
  /** KMS requests per month (decrypting secrets and environment, SNS/SQS encryption). @default 50000 */
  kmsRequestsPerMonth: number;
  /** GB per month through the VPC interface endpoints. @default 1 */
  vpcEndpointGbPerMonth: number;
  /** GB per month through NAT gateways, if the stack has any. @default 5 */
  natGatewayGbPerMonth: number;
  /** Alarm state changes notified per month (each one publishes once and emails every subscriber). @default 50 */
  alarmNotificationsPerMonth: number;
  /** SQS requests per month (the DLQ only sees failed async invocations). @default 1000 */
  sqsRequestsPerMonth: number;
  /** Logins that sign in or refresh a token in a month (Cognito MAUs). @default 1000 */
  monthlyActiveUsers: number;
}

export const DEFAULT_COST_ASSUMPTIONS: Readonly<CostAssumptions> = Object.freeze({
  requestsPerMonth: 1_000_000,
  apiAvgDurationMs: 120,
  scheduledAvgDurationMs: 5_000,
  otherInvocationsPerMonth: 30,
  otherAvgDurationMs: 10_000,
  logIngestGbPerMonth: 2,
  xrayTracesRetrievedPerMonth: 0,
  secretsApiCallsPerMonth: 20_000,
  kmsRequestsPerMonth: 50_000,
  vpcEndpointGbPerMonth: 1,
  natGatewayGbPerMonth: 5,
  alarmNotificationsPerMonth: 50,
  sqsRequestsPerMonth: 1_000,
  monthlyActiveUsers: 1_000,
});

export interface ResolvedAssumptions {
  values: CostAssumptions;
  /** Keys the stack config set (the rest are defaults). */
  overridden: Array<keyof CostAssumptions>;
  /** Where overrides come from, for the printout. */
  source: string;
}

/**
 * Reads `huntaze-api:costAssumptions` from the stack config. Unknown keys and values that
 * are not non-negative numbers are errors naming the key, the stack file and the fix.
 */
export function loadCostAssumptions(stackConfig: LoadedStackConfig): ResolvedAssumptions {
  const source = `${COST_ASSUMPTIONS_KEY} in ${stackConfig.stackFile}`;
  const raw = stackConfig.config[COST_ASSUMPTIONS_KEY];
  if (raw === undefined) return { values: { ...DEFAULT_COST_ASSUMPTIONS }, overridden: [], source };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw usageError(
      `${COST_ASSUMPTIONS_KEY} must be a mapping of assumption names to numbers (${stackConfig.stackFile}), e.g. requestsPerMonth: 1000000`,
    );
  }
  const values: CostAssumptions = { ...DEFAULT_COST_ASSUMPTIONS };
  const overridden: Array<keyof CostAssumptions> = [];
  const known = Object.keys(DEFAULT_COST_ASSUMPTIONS);
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!known.includes(key)) {
      throw usageError(
        `${COST_ASSUMPTIONS_KEY}.${key} is not a known assumption (${stackConfig.stackFile}); use one of: ${known.join(", ")}`,
      );
    }
    const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
      throw usageError(
        `${COST_ASSUMPTIONS_KEY}.${key} must be a non-negative number (${stackConfig.stackFile}), got ${JSON.stringify(value)}`,
      );
    }
    values[key as keyof CostAssumptions] = n;
    overridden.push(key as keyof CostAssumptions);
  }
  return { values, overridden, source };
}
