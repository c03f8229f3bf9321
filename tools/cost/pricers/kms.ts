import type { Pricer } from "../context";
import { PRICES } from "../prices";
import { names } from "../props";

/** Customer-managed keys per month, and requests from the assumption. */
export const kmsPricer: Pricer = {
  service: "KMS",
  price(ctx, lines) {
    const keys = ctx.ofType("aws:kms/key:Key");
    if (!keys.length) return;
    const { note } = PRICES.kmsKeyMonth;
    lines.price(`customer-managed keys (${names(keys)})`, keys.length, "kmsKeyMonth", keys, note);
    lines.price(
      "requests (kmsRequestsPerMonth)",
      ctx.assumptions.kmsRequestsPerMonth,
      "kmsRequest",
      keys,
    );
  },
};
