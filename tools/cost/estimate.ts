import type { ProgramRun } from "../preview/run-program";
import type { ResolvedAssumptions } from "./assumptions";
import { PricingContext } from "./context";
import { PRICE_REGION, PRICES_AS_OF } from "./prices";
import { COST_REGISTRY, PRICERS } from "./registry";
import type { CostReport } from "./report";

export type { CostReport, FreeResourceGroup, LineItem, UnpricedResource } from "./report";

/**
 * Estimates the monthly bill of the resources a program registered, from the dated price
 * table and the usage assumptions: each pricer of the registry adds its service's lines, and
 * every other resource is listed as free or not priced, by its registry entry. An estimate,
 * not a quote: account-wide free tiers, data transfer and taxes are left out (and listed in
 * the notes).
 */
export function estimateCost(
  run: ProgramRun,
  resolved: ResolvedAssumptions,
  stackRegion = PRICE_REGION,
): CostReport {
  const custom = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:"));
  const ctx = new PricingContext(custom, resolved.values);
  if (stackRegion !== PRICE_REGION) {
    ctx.notes.push(
      `The stack deploys to ${stackRegion}; the prices are ${PRICE_REGION} list prices, and most other regions cost more.`,
    );
  }
  for (const pricer of PRICERS) pricer.price(ctx, ctx.linesFor(pricer.service));
  for (const r of custom) {
    const entry = COST_REGISTRY[r.type];
    if (entry === undefined) {
      ctx.notPricedResource(r, "no entry for this resource type in tools/cost/registry.ts");
    } else if (entry.kind === "free") ctx.free(r.type, entry.reason);
    else if (entry.kind === "notPriced") ctx.notPricedResource(r, entry.reason);
  }

  ctx.notes.push(
    "Account-wide free tiers (Lambda 1M requests + 400,000 GB-s, 10 alarm metrics, 3 dashboards, 5 GB logs, 100,000 traces, 20,000 KMS requests) are not subtracted: they are shared by everything in the account.",
    "Data transfer out to the internet, taxes and support plans are not included.",
  );
  if (ctx.lineItems.some((i) => !i.confirmed)) {
    ctx.notes.push(
      "† marks prices not re-confirmed when the table was dated; see tools/cost/prices.ts for each source.",
    );
  }
  return {
    project: run.project,
    stack: run.stack,
    priceRegion: PRICE_REGION,
    pricesAsOf: PRICES_AS_OF,
    currency: "USD",
    lineItems: ctx.lineItems,
    totalMonthlyUsd: ctx.lineItems.reduce((sum, i) => sum + i.monthlyUsd, 0),
    notPriced: ctx.notPriced,
    free: ctx.freeResources(),
    assumptions: resolved.values,
    assumptionsOverridden: resolved.overridden,
    assumptionsSource: resolved.source,
    notes: ctx.notes,
  };
}
