import type { CapturedResource } from "../../preview/run-program";
import type { Pricer, PricingContext, ServiceLines } from "../context";
import {
  HOURS_PER_MONTH,
  PERFORMANCE_INSIGHTS_FREE_RETENTION_DAYS,
  PRICES,
  RDS_GP3_BASELINE,
  RDS_INSTANCE_CLASSES,
  RDS_INSTANCE_SOURCE,
} from "../prices";
import { num, prop } from "../props";

type InstanceClass = (typeof RDS_INSTANCE_CLASSES)[string];

/** Storage per GB-month by type, with gp3's IOPS and throughput above the baseline. */
function priceStorage(
  ctx: PricingContext,
  lines: ServiceLines,
  db: CapturedResource,
  copies: number,
): void {
  const multiAz = copies > 1;
  const storageType = String(prop(db, "storageType") ?? (prop(db, "iops") ? "io1" : "gp2"));
  const gb = num(prop(db, "allocatedStorage"), 0);
  if (storageType === "gp2" || storageType === "gp3") {
    lines.add(
      `${db.name}: ${gb} GB ${storageType} storage${multiAz ? " (Multi-AZ)" : ""}`,
      gb,
      "GB-month",
      PRICES.rdsGp3GbMonth.usd * copies,
      [db],
    );
    if (storageType !== "gp3") return;
    const large = gb >= RDS_GP3_BASELINE.largeFromGb;
    const baseIops = large ? RDS_GP3_BASELINE.largeIops : RDS_GP3_BASELINE.iops;
    const baseThroughput = large
      ? RDS_GP3_BASELINE.largeThroughputMiBs
      : RDS_GP3_BASELINE.throughputMiBs;
    const extraIops = Math.max(0, num(prop(db, "iops"), baseIops) - baseIops);
    const extraTp = Math.max(
      0,
      num(prop(db, "storageThroughput"), baseThroughput) - baseThroughput,
    );
    if (extraIops) {
      lines.add(
        `${db.name}: gp3 IOPS above ${baseIops}`,
        extraIops,
        "IOPS-month",
        PRICES.rdsGp3ExtraIops.usd * copies,
        [db],
      );
    }
    if (extraTp) {
      lines.add(
        `${db.name}: gp3 throughput above ${baseThroughput} MiB/s`,
        extraTp,
        "MiB/s-month",
        PRICES.rdsGp3ExtraThroughput.usd * copies,
        [db],
        { confirmed: false },
      );
    }
  } else if (storageType === "io1" || storageType === "io2") {
    lines.add(
      `${db.name}: ${gb} GB ${storageType} storage`,
      gb,
      "GB-month",
      PRICES.rdsIo1GbMonth.usd * copies,
      [db],
      { confirmed: false },
    );
    lines.add(
      `${db.name}: provisioned IOPS`,
      num(prop(db, "iops"), 0),
      "IOPS-month",
      PRICES.rdsIo1Iops.usd * copies,
      [db],
      { confirmed: false },
    );
  } else {
    ctx.notPricedResource(db, `storage type "${storageType}" is not in the price table`);
  }
}

/** Performance Insights: free up to 7 days of retention, then per vCPU and month kept. */
function pricePerformanceInsights(
  ctx: PricingContext,
  lines: ServiceLines,
  db: CapturedResource,
  copies: number,
  info: InstanceClass | undefined,
): void {
  if (prop(db, "performanceInsightsEnabled") !== true) return;
  const free = PERFORMANCE_INSIGHTS_FREE_RETENTION_DAYS;
  const retention = num(prop(db, "performanceInsightsRetentionPeriod"), free);
  if (retention <= free) {
    lines.add(
      `${db.name}: Performance Insights, ${free}-day retention (free tier)`,
      1,
      "instance",
      0,
      [db],
    );
  } else if (!info) {
    const cls = String(prop(db, "instanceClass") ?? "");
    ctx.notPricedResource(
      db,
      `vCPU count of "${cls}" unknown`,
      `${db.name} (Performance Insights)`,
    );
  } else {
    // Retention is set in days: 31 per month, 731 for the longest (24 months).
    const months = retention >= 731 ? 24 : Math.round(retention / 31);
    const vcpus = info.vcpus * copies;
    const perVcpu =
      PRICES.performanceInsightsFirstMonth.usd +
      (months - 1) * PRICES.performanceInsightsExtraMonth.usd;
    lines.add(
      `${db.name}: Performance Insights, ${months}-month retention (${vcpus} vCPU)`,
      vcpus,
      "vCPU-month",
      perVcpu,
      [db],
      { confirmed: false, note: PRICES.performanceInsightsFirstMonth.note },
    );
  }
}

/**
 * RDS for PostgreSQL instances: instance-hours by class (Multi-AZ counts the standby), storage,
 * Performance Insights; Database Insights' advanced mode is reported as not priced.
 */
export const rdsPricer: Pricer = {
  service: "RDS",
  price(ctx, lines) {
    const instances = ctx.ofType("aws:rds/instance:Instance");
    for (const db of instances) {
      const cls = String(prop(db, "instanceClass") ?? "");
      const multiAz = prop(db, "multiAz") === true;
      const copies = multiAz ? 2 : 1;
      const info = RDS_INSTANCE_CLASSES[cls];
      if (!info) {
        ctx.notPricedResource(
          db,
          `instance class "${cls || "unset"}" is not in the price table (tools/cost/prices.ts, ${RDS_INSTANCE_SOURCE})`,
        );
      } else {
        lines.add(
          `${db.name}: ${cls} ${multiAz ? "Multi-AZ" : "Single-AZ"}`,
          HOURS_PER_MONTH,
          "instance-hour",
          info.hourly * copies,
          [db],
          { confirmed: info.confirmed },
        );
      }
      priceStorage(ctx, lines, db, copies);
      pricePerformanceInsights(ctx, lines, db, copies, info);
      if (prop(db, "databaseInsightsMode") === "advanced") {
        ctx.notPricedResource(
          db,
          "billed per vCPU-hour by CloudWatch; not in the table",
          `${db.name} (Database Insights advanced)`,
        );
      }
    }
    if (instances.length) {
      ctx.notes.push(
        "RDS backup storage is free up to the provisioned storage size; manual snapshots beyond it are not counted.",
      );
    }
  },
};
