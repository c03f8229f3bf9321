import * as assert from "node:assert/strict";
import { estimateCost, loadCostAssumptions } from "../../tools/cost";
import type { CostReport } from "../../tools/cost/estimate";
import { COST_REGISTRY, PRICERS } from "../../tools/cost/registry";
import type { CapturedResource } from "../../tools/preview/run-program";
import { runProgram } from "../../tools/preview/run-program";
import { loadStackConfig } from "../../tools/preview/stack-config";
import { PROGRAM, PROJECT_ROOT } from "../infra/support";
import { captured, programRun } from "../support/runs";

const defaults = loadCostAssumptions(loadStackConfig(PROJECT_ROOT, "prod"));

function estimate(resources: CapturedResource[]): CostReport {
  return estimateCost(programRun(resources), defaults);
}

for (const stack of ["prod", "staging"] as const) {
  describe(`the cost registry on the ${stack} stack`, function () {
    this.timeout(120_000);
    let report: CostReport;
    let types: string[];

    before(async () => {
      const stackConfig = loadStackConfig(PROJECT_ROOT, stack);
      const run = await runProgram({ programFile: PROGRAM, stackConfig });
      types = [
        ...new Set(
          run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:")).map((r) => r.type),
        ),
      ];
      report = estimateCost(run, loadCostAssumptions(stackConfig));
    });

    it("prices, or lists as free, every resource type the program creates", () => {
      assert.ok(types.length > 40, `${types.length} types`);
      assert.deepEqual(
        report.notPriced.map((r) => `${r.type} ${r.name}: ${r.reason}`),
        [],
        "nothing the program creates is left unpriced",
      );
      const listed = new Set(report.free.map((f) => f.type));
      for (const type of types) {
        const entry = COST_REGISTRY[type];
        assert.ok(entry, `${type} has a registry entry`);
        if (entry.kind === "free") assert.ok(listed.has(type), `${type} listed as free`);
      }
    });
  });
}

describe("the cost registry", () => {
  it("reports a resource type it has no entry for as not priced, naming the registry", () => {
    const report = estimate([
      captured("aws:dynamodb/table:Table", "sessions", { billingMode: "PAY_PER_REQUEST" }),
    ]);
    assert.deepEqual(report.notPriced, [
      {
        type: "aws:dynamodb/table:Table",
        name: "sessions",
        reason: "no entry for this resource type in tools/cost/registry.ts",
      },
    ]);
    assert.deepEqual(report.free, []);
    assert.equal(report.totalMonthlyUsd, 0);
  });

  it("counts free types per type with their reason, and lists a not-priced type with its own", () => {
    const report = estimate([
      captured("aws:kms/alias:Alias", "a", { name: "alias/a" }),
      captured("aws:kms/alias:Alias", "b", { name: "alias/b" }),
      captured("aws:iam/role:Role", "role", {}),
      captured("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", "warm", {
        provisionedConcurrentExecutions: 2,
      }),
    ]);
    assert.deepEqual(report.free, [
      { type: "aws:iam/role:Role", count: 1, reason: "IAM has no charge" },
      { type: "aws:kms/alias:Alias", count: 2, reason: "aliases have no charge" },
    ]);
    assert.deepEqual(report.notPriced, [
      {
        type: "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig",
        name: "warm",
        reason: "provisioned concurrency is not in the price table",
      },
    ]);
  });

  it("lists a type included in its pricer's lines neither as free nor as not priced", () => {
    const report = estimate([
      captured("aws:cognito/userPool:UserPool", "pool", {}),
      captured("aws:cognito/userPoolClient:UserPoolClient", "client", {}),
    ]);
    assert.deepEqual(report.notPriced, []);
    assert.deepEqual(report.free, []);
    const cognito = report.lineItems.filter((i) => i.service === "Cognito");
    assert.deepEqual(
      cognito.map((i) => i.resources),
      [["pool"]],
    );
  });

  it("runs every pricer an entry names, each once", () => {
    const named = new Set<unknown>();
    for (const entry of Object.values(COST_REGISTRY)) {
      if (entry.kind === "priced") named.add(entry.pricer);
    }
    const missing = [...named].filter((p) => !PRICERS.includes(p as (typeof PRICERS)[number]));
    assert.deepEqual(missing, []);
    assert.equal(new Set(PRICERS).size, PRICERS.length);
  });
});
