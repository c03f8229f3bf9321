import type { Pricer } from "../context";
import { names, num, prop } from "../props";

/**
 * Alarms per metric they read (a metric-math alarm reads several; under a 60-second period
 * the metric is high-resolution), composite alarms and dashboards.
 */
export const cloudWatchPricer: Pricer = {
  service: "CloudWatch",
  price(ctx, lines) {
    const alarms = ctx.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
    if (alarms.length) {
      let standard = 0;
      let highRes = 0;
      let mathAlarms = 0;
      for (const r of alarms) {
        const queries = Array.isArray(prop(r, "metricQueries"))
          ? (prop(r, "metricQueries") as Array<Record<string, unknown>>)
          : [];
        const metricQueries = queries.filter((q) => q.metric !== undefined && q.metric !== null);
        const metrics = queries.length ? Math.max(1, metricQueries.length) : 1;
        if (queries.length) mathAlarms++;
        const periods = queries.length
          ? metricQueries.map((q) => num((q.metric as Record<string, unknown>).period, 60))
          : [num(prop(r, "period"), 60)];
        if (periods.some((p) => p < 60)) highRes += metrics;
        else standard += metrics;
      }
      if (standard) {
        lines.price(
          `alarms: ${alarms.length} alarms (${mathAlarms} metric-math), billed per metric read`,
          standard,
          "alarmMetricStandard",
          alarms,
        );
      }
      if (highRes) {
        lines.price("high-resolution alarm metrics", highRes, "alarmMetricHighResolution", alarms);
      }
    }
    const composites = ctx.ofType("aws:cloudwatch/compositeAlarm:CompositeAlarm");
    if (composites.length) {
      lines.price("composite alarms", composites.length, "compositeAlarm", composites);
    }
    const dashboards = ctx.ofType("aws:cloudwatch/dashboard:Dashboard");
    if (dashboards.length) {
      lines.price(
        `dashboards (${names(dashboards)})`,
        dashboards.length,
        "dashboardMonth",
        dashboards,
      );
    }
  },
};
