import type { Pricer } from "../context";
import { names } from "../props";

/** Requests from the assumption (the dead-letter queue sees only failed invocations). */
export const sqsPricer: Pricer = {
  service: "SQS",
  price(ctx, lines) {
    const queues = ctx.ofType("aws:sqs/queue:Queue");
    if (!queues.length) return;
    lines.price(
      `requests (sqsRequestsPerMonth) on ${names(queues)}`,
      ctx.assumptions.sqsRequestsPerMonth,
      "sqsRequest",
      queues,
    );
  },
};
