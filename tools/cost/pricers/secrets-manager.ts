import type { Pricer } from "../context";
import { DAYS_PER_MONTH, PRICES } from "../prices";
import { names, num, prop } from "../props";
import { schedulePerMonth } from "../schedule";

/**
 * What one rotation does: the rotation function's four steps (create, set, test, finish), each
 * about 2 s at 128 MB on x86_64, and about ten Secrets Manager API calls.
 */
const ROTATION = { invocations: 4, seconds: 2, memoryGb: 0.125, apiCalls: 10 } as const;

/**
 * Secrets per month (those in the stack and the masters RDS manages), API calls from the
 * assumption, and rotations from their schedules.
 */
export const secretsManagerPricer: Pricer = {
  service: "Secrets Manager",
  price(ctx, lines) {
    const secrets = ctx.ofType("aws:secretsmanager/secret:Secret");
    const managedMasters = ctx
      .ofType("aws:rds/instance:Instance")
      .filter((r) => prop(r, "manageMasterUserPassword") === true);
    if (secrets.length || managedMasters.length) {
      const label = [
        secrets.length ? `${secrets.length} in the stack` : "",
        managedMasters.length ? `${managedMasters.length} RDS-managed master` : "",
      ]
        .filter(Boolean)
        .join(" + ");
      lines.price(`secrets (${label})`, secrets.length + managedMasters.length, "secretMonth", [
        ...secrets,
        ...managedMasters,
      ]);
      lines.price(
        "API calls (secretsApiCallsPerMonth)",
        ctx.assumptions.secretsApiCallsPerMonth,
        "secretsApiCall",
        secrets,
      );
    }
    const rotations = ctx.ofType("aws:secretsmanager/secretRotation:SecretRotation");
    if (!rotations.length) return;
    let perMonth = 0;
    for (const r of rotations) {
      const rules = (prop(r, "rotationRules") ?? {}) as {
        automaticallyAfterDays?: unknown;
        scheduleExpression?: unknown;
      };
      const days = num(rules.automaticallyAfterDays, Number.NaN);
      const fromSchedule =
        typeof rules.scheduleExpression === "string"
          ? schedulePerMonth(rules.scheduleExpression)
          : undefined;
      perMonth +=
        Number.isFinite(days) && days > 0
          ? DAYS_PER_MONTH / days
          : (fromSchedule ?? DAYS_PER_MONTH / 30);
    }
    const perRotation =
      ROTATION.apiCalls * PRICES.secretsApiCall.usd +
      ROTATION.invocations * PRICES.lambdaRequest.usd +
      ROTATION.invocations * ROTATION.seconds * ROTATION.memoryGb * PRICES.lambdaGbSecondX86.usd;
    lines.add(`rotations (${names(rotations)})`, perMonth, "rotation", perRotation, rotations, {
      note: `≈ ${ROTATION.invocations} rotation-function invocations and ${ROTATION.apiCalls} API calls each; RDS-managed master rotation is free`,
    });
  },
};
