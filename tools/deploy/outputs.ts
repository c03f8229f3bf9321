/**
 * The stack outputs the deploy command reads (names fixed by the team contract, see
 * infra/index.ts). Values come from `pulumi stack output --json`; secrets never appear there.
 */
export interface StackOutputs {
  apiUrl?: string;
  alarmTopicArn?: string;
  alarmNames?: string[];
  /** Every log group the stack creates (Lambda, API Gateway, RDS exports). */
  logGroupNames?: string[];
  samplingRuleName?: string;
  samplingRate?: number;
  dbInstanceId?: string;
  appSecretArn?: string;
}

const str = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" && v !== "[secret]" ? v : undefined;

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((n): n is string => typeof n === "string" && n !== "") : undefined;

/** Picks the outputs the tool uses; wrong shapes are treated as absent and reported by the checks. */
export function readOutputs(raw: Record<string, unknown>): StackOutputs {
  const rate =
    typeof raw.samplingRate === "number"
      ? raw.samplingRate
      : typeof raw.samplingRate === "string" && raw.samplingRate.trim() !== ""
        ? Number(raw.samplingRate)
        : undefined;
  return {
    apiUrl: str(raw.apiUrl),
    alarmTopicArn: str(raw.alarmTopicArn),
    alarmNames: strings(raw.alarmNames),
    logGroupNames: strings(raw.logGroupNames),
    samplingRuleName: str(raw.samplingRuleName),
    samplingRate: rate !== undefined && Number.isFinite(rate) ? rate : undefined,
    dbInstanceId: str(raw.dbInstanceId),
    appSecretArn: str(raw.appSecretArn),
  };
}
