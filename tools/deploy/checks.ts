import { describeAwsError } from "./aws";
import type { CheckResult } from "./progress";

/** What every verification check shares: its result row, a missing output, one error path. */

export const DAY_MS = 86_400_000;

export const result = (
  name: string,
  status: CheckResult["status"],
  detail: string,
): CheckResult => ({
  name,
  status,
  detail,
});

export function missingOutput(name: string, output: string, dataTier: boolean): CheckResult {
  return dataTier
    ? result(
        name,
        "warn",
        `stack output \`${output}\` is absent: the data tier is not deployed in this stack`,
      )
    : result(name, "fail", `stack output \`${output}\` is absent; infra/index.ts must export it`);
}

/**
 * Runs one check: a missing stack output or an AWS error (credentials, throttling, access
 * denied) becomes that check's "fail" row instead of stopping the others.
 */
export async function check(name: string, run: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await run();
  } catch (err) {
    return result(name, "fail", describeAwsError(err));
  }
}

export function listNames(names: string[], max = 5): string {
  return names.length <= max
    ? names.join(", ")
    : `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}
