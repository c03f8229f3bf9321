import type { Pricer } from "../context";
import { DAYS_PER_MONTH } from "../prices";
import { num, prop } from "../props";

/** How long a log group that never expires is shown to have grown. */
const NEVER_EXPIRES_MONTHS = 12;

/**
 * Ingestion from the assumption, shared evenly by the log groups, and storage at each group's
 * retention (steady state: one retention period of logs).
 */
export const cloudWatchLogsPricer: Pricer = {
  service: "CloudWatch Logs",
  price(ctx, lines) {
    const a = ctx.assumptions;
    const logGroups = ctx.ofType("aws:cloudwatch/logGroup:LogGroup");
    // A function without a log group of the stack still logs (to one Lambda creates).
    if (!logGroups.length && !ctx.ofType("aws:lambda/function:Function").length) return;
    lines.price(
      "ingestion (logIngestGbPerMonth)",
      a.logIngestGbPerMonth,
      "logsIngestGb",
      logGroups,
    );
    const groups = logGroups.length
      ? logGroups.map((g) => num(prop(g, "retentionInDays"), 0))
      : [0];
    const share = a.logIngestGbPerMonth / groups.length;
    let stored = 0;
    const forever = groups.filter((d) => d <= 0).length;
    for (const days of groups) {
      stored += days > 0 ? (share * days) / DAYS_PER_MONTH : share * NEVER_EXPIRES_MONTHS;
    }
    const retentions = [...new Set(groups.filter((d) => d > 0))].sort((x, y) => x - y);
    lines.price(
      `storage at ${retentions.length ? `${retentions.join("/")}-day retention` : "no retention"} (${groups.length} groups, ingestion shared evenly)`,
      stored,
      "logsStorageGbMonth",
      logGroups,
      forever
        ? `${forever} group(s) never expire: shown after ${NEVER_EXPIRES_MONTHS} months, and still growing`
        : "steady state: one retention period of logs; priced on raw size (AWS bills compressed)",
    );
  },
};
