import type { Pricer } from "../context";
import { API_GATEWAY_REST_TIERS, PRICES } from "../prices";
import { names, prop } from "../props";

/** REST API requests priced through the tiers of the price table. */
export function restApiRequestsUsd(requests: number): number {
  let left = requests;
  let usd = 0;
  for (const [size, perMillion] of API_GATEWAY_REST_TIERS) {
    const n = Math.min(left, size);
    usd += (n / 1e6) * perMillion;
    left -= n;
    if (left <= 0) break;
  }
  return usd;
}

/**
 * API requests (every request of the assumption reaches each API); a stage's cache cluster is
 * reported as not priced.
 */
export const apiGatewayPricer: Pricer = {
  service: "API Gateway",
  price(ctx, lines) {
    const requests = ctx.assumptions.requestsPerMonth;
    const restApis = ctx.ofType("aws:apigateway/restApi:RestApi");
    if (restApis.length) {
      const usd = restApiRequestsUsd(requests);
      const [firstTier] = API_GATEWAY_REST_TIERS[0] ?? [0];
      lines.add(
        `REST API requests (${names(restApis)})`,
        requests,
        "request",
        requests ? usd / requests : PRICES.apiGatewayRestRequest.usd,
        restApis,
        {
          monthlyUsd: usd,
          note: requests > firstTier ? `tiered above ${firstTier / 1e6} million` : undefined,
        },
      );
    }
    const httpApis = ctx.ofType("aws:apigatewayv2/api:Api");
    if (httpApis.length) {
      lines.price(
        `HTTP/WebSocket API requests (${names(httpApis)})`,
        requests,
        "apiGatewayHttpRequest",
        httpApis,
      );
    }
    for (const stage of ctx.ofType("aws:apigateway/stage:Stage")) {
      if (prop(stage, "cacheClusterEnabled") === true) {
        ctx.notPricedResource(stage, "API cache cluster hours are not in the price table");
      }
    }
  },
};
