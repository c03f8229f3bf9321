import type { Pricer } from "../context";
import { PRICES } from "../prices";
import { num, prop, strings } from "../props";

const ROLE_LABEL = { api: "API", scheduled: "schedule", other: "otherInvocationsPerMonth" };

/**
 * Each function's GB-seconds (invocations × mean duration × memory, at its architecture's
 * price) plus its requests; invocations follow from what the function serves.
 */
export const lambdaPricer: Pricer = {
  service: "Lambda",
  price(ctx, lines) {
    const perMillion = (PRICES.lambdaRequest.usd * 1e6).toFixed(2);
    for (const use of ctx.functionUses()) {
      const fn = use.resource;
      const arm = strings(prop(fn, "architectures")).includes("arm64");
      const memoryGb = num(prop(fn, "memorySize"), 128) / 1024;
      const gbSeconds = use.invocations * (use.avgDurationMs / 1000) * memoryGb;
      const gbPrice = arm ? PRICES.lambdaGbSecondArm : PRICES.lambdaGbSecondX86;
      lines.add(
        `${String(prop(fn, "name") ?? fn.name)}: ${Math.round(use.invocations).toLocaleString("en-US")} invocations (${ROLE_LABEL[use.role]}) × ${use.avgDurationMs} ms, ${Math.round(memoryGb * 1024)} MB ${arm ? "arm64" : "x86_64"}`,
        gbSeconds,
        gbPrice.unit,
        gbPrice.usd,
        [fn],
        {
          monthlyUsd: gbSeconds * gbPrice.usd + use.invocations * PRICES.lambdaRequest.usd,
          note: `plus $${perMillion} per million requests`,
        },
      );
    }
  },
};
