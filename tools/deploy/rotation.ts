import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { check, DAY_MS, missingOutput, result } from "./checks";
import type { StackOutputs } from "./outputs";
import type { CheckResult } from "./progress";

/** The app secret rotates on schedule: the deploy verification's secret-rotation check. */

function rotationIntervalDays(secret: DescribeSecretCommandOutput): number | undefined {
  const rules = secret.RotationRules;
  if (rules?.AutomaticallyAfterDays) return rules.AutomaticallyAfterDays;
  const m = /^rate\((\d+)\s+days?\)$/.exec(rules?.ScheduleExpression ?? "");
  return m ? Number(m[1]) : undefined;
}

const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * Rotation must be on, and either a successful rotation happened within the schedule (plus a
 * day of slack for the rotation window) or the first one is not due yet.
 */
export function judgeRotation(secret: DescribeSecretCommandOutput, now: Date): CheckResult {
  const name = "secret-rotation";
  const label = secret.Name ?? secret.ARN ?? "the app secret";
  if (secret.RotationEnabled !== true) {
    return result(
      name,
      "fail",
      `rotation is not enabled on ${label}; the stack configures it, so run the deploy again and check the rotation function`,
    );
  }
  const interval = rotationIntervalDays(secret);
  const schedule = interval
    ? `every ${interval} days`
    : (secret.RotationRules?.ScheduleExpression ?? "custom schedule");
  const pending = Object.entries(secret.VersionIdsToStages ?? {}).find(
    ([, stages]) => stages.includes("AWSPENDING") && !stages.includes("AWSCURRENT"),
  );
  const graceMs = DAY_MS;
  const last = secret.LastRotatedDate;
  if (last && interval) {
    const ageDays = (now.getTime() - last.getTime()) / DAY_MS;
    if (now.getTime() - last.getTime() > interval * DAY_MS + graceMs) {
      return result(
        name,
        "fail",
        `${label}: last successful rotation ${isoDay(last)} (${Math.floor(ageDays)} days ago) but the schedule is ${schedule}: rotation is failing (see docs/RUNBOOK.md#secret-rotation-failed)`,
      );
    }
  }
  if (!last) {
    const next = secret.NextRotationDate;
    if (next && now.getTime() - next.getTime() > graceMs) {
      return result(
        name,
        "fail",
        `${label}: no successful rotation yet and the first one was due ${isoDay(next)} (see docs/RUNBOOK.md#secret-rotation-failed)`,
      );
    }
    if (
      !next &&
      interval &&
      secret.CreatedDate &&
      now.getTime() - secret.CreatedDate.getTime() > interval * DAY_MS + graceMs
    ) {
      return result(
        name,
        "fail",
        `${label}: created ${isoDay(secret.CreatedDate)}, rotation ${schedule}, never rotated`,
      );
    }
  }
  if (pending) {
    return result(
      name,
      "warn",
      `${label}: rotation ${schedule} is enabled but version ${pending[0].slice(0, 8)}… is AWSPENDING — a rotation is in progress or the last one failed; re-run the verification in a few minutes`,
    );
  }
  const when = last
    ? `last rotated ${isoDay(last)}`
    : `not rotated yet, first rotation ${secret.NextRotationDate ? `due ${isoDay(secret.NextRotationDate)}` : "not due yet"}`;
  return result(name, "ok", `${label}: rotation ${schedule}, ${when}`);
}

export async function verifySecretRotation(
  secrets: SecretsManagerClient,
  outputs: StackOutputs,
  now: Date,
): Promise<CheckResult> {
  const name = "secret-rotation";
  const arn = outputs.appSecretArn;
  if (!arn) return missingOutput(name, "appSecretArn", true);
  return check(name, async () =>
    judgeRotation(await secrets.send(new DescribeSecretCommand({ SecretId: arn })), now),
  );
}
