import * as assert from "node:assert/strict";
import { loadCostAssumptions } from "../../tools/cost/assumptions";
import { type CostReport, estimateCost, type LineItem } from "../../tools/cost/estimate";
import { HOURS_PER_MONTH } from "../../tools/cost/prices";
import type { CapturedResource } from "../../tools/preview/run-program";
import type { LoadedStackConfig } from "../../tools/preview/stack-config";
import { captured, programRun } from "../support/runs";

const DAYS = HOURS_PER_MONTH / 24;

function assumptions(overrides: Record<string, number> = {}) {
  const stackConfig: LoadedStackConfig = {
    project: "huntaze-api",
    stack: "costtest",
    config: { "huntaze-api:costAssumptions": JSON.stringify(overrides) },
    secretKeys: [],
    stackFile: "Pulumi.costtest.yaml",
  };
  return loadCostAssumptions(stackConfig);
}

function estimate(resources: CapturedResource[], overrides?: Record<string, number>): CostReport {
  return estimateCost(programRun(resources), assumptions(overrides));
}

function r(type: string, name: string, inputs: Record<string, unknown>): CapturedResource {
  return captured(type, name, inputs, { outputs: {} });
}

function line(report: CostReport, service: string, itemStart: string): LineItem {
  const found = report.lineItems.find((i) => i.service === service && i.item.startsWith(itemStart));
  assert.ok(found, `no ${service} line "${itemStart}" in ${report.lineItems.map((i) => i.item)}`);
  return found;
}

function close(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${what}: expected ${expected}, got ${actual}`,
  );
}

describe("cost pricers", () => {
  describe("RDS", () => {
    it("prices io1 storage and its provisioned IOPS, Multi-AZ doubling both", () => {
      const report = estimate([
        r("aws:rds/instance:Instance", "db", {
          instanceClass: "db.t4g.micro",
          allocatedStorage: 100,
          storageType: "io1",
          iops: 1000,
          multiAz: true,
        }),
      ]);
      close(line(report, "RDS", "db: 100 GB io1").monthlyUsd, 100 * 0.125 * 2, "io1 storage");
      const iops = line(report, "RDS", "db: provisioned IOPS");
      close(iops.monthlyUsd, 1000 * 0.1 * 2, "1000 IOPS at $0.10, both instances");
      assert.equal(iops.confirmed, false);
    });

    it("prices gp3 IOPS and throughput only above the baseline, which is larger from 400 GB", () => {
      const small = estimate([
        r("aws:rds/instance:Instance", "db", {
          instanceClass: "db.t4g.micro",
          allocatedStorage: 100,
          storageType: "gp3",
          iops: 4000,
          storageThroughput: 150,
        }),
      ]);
      close(line(small, "RDS", "db: gp3 IOPS above 3000").monthlyUsd, 1000 * 0.02, "1000 IOPS");
      close(line(small, "RDS", "db: gp3 throughput above 125").monthlyUsd, 25 * 0.08, "25 MiB/s");
      const large = estimate([
        r("aws:rds/instance:Instance", "db", {
          instanceClass: "db.t4g.micro",
          allocatedStorage: 400,
          storageType: "gp3",
          iops: 12000,
          storageThroughput: 500,
        }),
      ]);
      assert.ok(!large.lineItems.some((i) => /above/.test(i.item)), "within the large baseline");
    });

    it("reports a storage type and Database Insights advanced mode it cannot price", () => {
      const report = estimate([
        r("aws:rds/instance:Instance", "db", {
          instanceClass: "db.t4g.micro",
          allocatedStorage: 20,
          storageType: "standard",
          databaseInsightsMode: "advanced",
        }),
      ]);
      assert.deepEqual(
        report.notPriced.map((n) => [n.name, n.reason]),
        [
          ["db", 'storage type "standard" is not in the price table'],
          [
            "db (Database Insights advanced)",
            "billed per vCPU-hour by CloudWatch; not in the table",
          ],
        ],
      );
    });

    it("prices an RDS Proxy on its target's vCPUs, and reports one whose target is unknown", () => {
      const report = estimate([
        r("aws:rds/instance:Instance", "db", {
          identifier: "main",
          instanceClass: "db.t4g.medium",
          allocatedStorage: 20,
        }),
        r("aws:rds/proxy:Proxy", "pool", { name: "pool" }),
        r("aws:rds/proxyTarget:ProxyTarget", "pool-target", {
          dbProxyName: "pool",
          dbInstanceIdentifier: "main",
        }),
        r("aws:rds/proxy:Proxy", "orphan", { name: "orphan" }),
      ]);
      const proxy = line(report, "RDS", "pool: RDS Proxy in front of db.t4g.medium (2 vCPU)");
      close(proxy.monthlyUsd, 2 * HOURS_PER_MONTH * 0.015, "2 vCPU-hours every hour");
      assert.deepEqual(
        report.notPriced.map((n) => [n.name, n.reason]),
        [["orphan", 'the vCPUs of its target ("not found") are not in the price table']],
      );
      assert.ok(!report.free.some((f) => f.type.includes("proxyTarget")), "priced with its proxy");
    });
  });

  describe("VPC and CloudWatch", () => {
    it("prices NAT gateways per hour and the data they process", () => {
      const report = estimate(
        [
          r("aws:ec2/natGateway:NatGateway", "nat-a", {}),
          r("aws:ec2/natGateway:NatGateway", "nat-b", {}),
        ],
        { natGatewayGbPerMonth: 100 },
      );
      close(line(report, "VPC", "NAT gateways").monthlyUsd, 2 * HOURS_PER_MONTH * 0.045, "hours");
      close(line(report, "VPC", "NAT data processed").monthlyUsd, 100 * 0.045, "100 GB");
    });

    it("prices composite alarms per alarm", () => {
      const report = estimate([
        r("aws:cloudwatch/compositeAlarm:CompositeAlarm", "c1", { alarmRule: "ALARM(a)" }),
        r("aws:cloudwatch/compositeAlarm:CompositeAlarm", "c2", { alarmRule: "ALARM(b)" }),
      ]);
      close(line(report, "CloudWatch", "composite alarms").monthlyUsd, 1, "2 at $0.50");
    });
  });

  describe("API Gateway, Cognito and WAF", () => {
    it("prices HTTP API requests, tiers REST requests above 333 million, and reports a cache cluster", () => {
      const report = estimate(
        [
          r("aws:apigatewayv2/api:Api", "http", { protocolType: "HTTP" }),
          r("aws:apigateway/restApi:RestApi", "rest", {}),
          r("aws:apigateway/stage:Stage", "cached", { cacheClusterEnabled: true }),
        ],
        { requestsPerMonth: 400e6 },
      );
      close(line(report, "API Gateway", "HTTP/WebSocket").monthlyUsd, 400, "400M at $1/M");
      const rest = line(report, "API Gateway", "REST API requests");
      close(rest.monthlyUsd, 333 * 3.5 + 67 * 2.8, "333M at $3.50 + 67M at $2.80");
      assert.equal(rest.note, "tiered above 333 million");
      assert.deepEqual(
        report.notPriced.map((n) => [n.name, n.reason]),
        [["cached", "API cache cluster hours are not in the price table"]],
      );
    });

    it("bills Cognito users above the free 10,000 only", () => {
      const report = estimate([r("aws:cognito/userPool:UserPool", "users", {})], {
        monthlyActiveUsers: 25_000,
      });
      const mau = line(report, "Cognito", "monthly active users above the free 10,000");
      assert.equal(mau.quantity, 15_000);
      close(mau.monthlyUsd, 15_000 * 0.0055, "15,000 MAUs");
    });

    it("prices WAF per web ACL, per rule of each ACL, and per request", () => {
      const report = estimate(
        [
          r("aws:wafv2/webAcl:WebAcl", "acl", { rules: [{ name: "a" }, { name: "b" }] }),
          r("aws:wafv2/webAcl:WebAcl", "acl2", { rules: [{ name: "c" }] }),
          r("aws:wafv2/webAclAssociation:WebAclAssociation", "assoc", {}),
        ],
        { requestsPerMonth: 10e6 },
      );
      close(line(report, "WAF", "web ACLs").monthlyUsd, 10, "2 ACLs at $5");
      close(line(report, "WAF", "rules (3)").monthlyUsd, 3, "3 rules at $1");
      close(line(report, "WAF", "requests inspected").monthlyUsd, 6, "10M at $0.60/M");
    });
  });

  describe("Secrets Manager and Lambda", () => {
    it("counts rotations from a schedule expression, and every 30 days without a rule", () => {
      const report = estimate([
        r("aws:secretsmanager/secretRotation:SecretRotation", "weekly", {
          rotationRules: { scheduleExpression: "rate(7 days)" },
        }),
        r("aws:secretsmanager/secretRotation:SecretRotation", "unset", {}),
      ]);
      close(line(report, "Secrets Manager", "rotations").quantity, DAYS / 7 + DAYS / 30, "count");
    });

    it("runs a function on an EventBridge Scheduler schedule as often as it fires", () => {
      const fn = r("aws:lambda/function:Function", "job", { name: "job", memorySize: 1024 });
      const report = estimate([
        fn,
        r("aws:scheduler/schedule:Schedule", "hourly", {
          scheduleExpression: "rate(1 hour)",
          target: { arn: "job" },
        }),
      ]);
      const job = line(report, "Lambda", "job: 730 invocations (schedule)");
      close(job.quantity, HOURS_PER_MONTH * 5, "730 runs × 5 s × 1 GB");
    });
  });
});
