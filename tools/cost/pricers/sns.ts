import type { Pricer } from "../context";
import { PRICES } from "../prices";
import { prop } from "../props";

/** Alarm notifications: one publish each, plus one delivery per email subscriber. */
export const snsPricer: Pricer = {
  service: "SNS",
  price(ctx, lines) {
    const topics = ctx.ofType("aws:sns/topic:Topic");
    if (!topics.length) return;
    const emails = ctx
      .ofType("aws:sns/topicSubscription:TopicSubscription")
      .filter((r) => String(prop(r, "protocol")).startsWith("email")).length;
    lines.add(
      `alarm notifications (alarmNotificationsPerMonth) to ${emails} email subscriber(s)`,
      ctx.assumptions.alarmNotificationsPerMonth,
      "notification",
      PRICES.snsPublish.usd + emails * PRICES.snsEmail.usd,
      topics,
    );
  },
};
