import type { Pricer } from "../context";
import { COGNITO_FREE_MONTHLY_ACTIVE_USERS, PRICES } from "../prices";
import { names } from "../props";

/** Monthly active users above the account's free allowance (Lite tier). */
export const cognitoPricer: Pricer = {
  service: "Cognito",
  price(ctx, lines) {
    const pools = ctx.ofType("aws:cognito/userPool:UserPool");
    if (!pools.length) return;
    const users = ctx.assumptions.monthlyActiveUsers;
    const free = COGNITO_FREE_MONTHLY_ACTIVE_USERS;
    const price = PRICES.cognitoLiteMau;
    lines.add(
      `monthly active users above the free ${free.toLocaleString("en-US")} (${names(pools)}; monthlyActiveUsers ${users})`,
      Math.max(0, users - free),
      price.unit,
      price.usd,
      pools,
      { confirmed: price.confirmed, note: price.note },
    );
  },
};
