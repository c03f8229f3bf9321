import * as assert from "node:assert/strict";
import {
  type CapturedResource,
  type ProgramRun,
  runProgram,
} from "../../tools/preview/run-program";
import { loadStackConfig } from "../../tools/preview/stack-config";
import { byName, ofType, PROGRAM, PROJECT_ROOT } from "./support";

const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

/** The stack's program run with `edit` applied to its config (namespaced keys, objects as JSON). */
async function runWith(
  stack: string,
  edit: (config: Record<string, string>) => void = () => {},
): Promise<ProgramRun> {
  const stackConfig = loadStackConfig(PROJECT_ROOT, stack);
  edit(stackConfig.config);
  return runProgram({ programFile: PROGRAM, stackConfig });
}

function editDatabase(config: Record<string, string>, fields: Record<string, unknown>): void {
  const key = "huntaze-api:database";
  config[key] = JSON.stringify({ ...JSON.parse(config[key] ?? "{}"), ...fields });
}

function rdsGroups(run: ProgramRun): CapturedResource[] {
  return ofType(run, LOG_GROUP).filter((g) =>
    /^\/aws\/rds\/|^RDSOSMetrics$/.test(String(g.inputs.name)),
  );
}

for (const stack of ["prod", "staging"] as const) {
  describe(`the ${stack} stack's RDS log groups under the offline preview`, () => {
    let run: ProgramRun;
    before(async () => {
      run = await runWith(stack);
    });

    it("creates the postgresql and upgrade groups, 30 days, before the instance, so RDS never creates its own", () => {
      const db = byName(run, "database-instance");
      const groups = rdsGroups(run);
      assert.deepEqual(
        groups.map((g) => [g.inputs.name, g.inputs.retentionInDays]),
        [
          [`/aws/rds/instance/${db.inputs.identifier}/postgresql`, 30],
          [`/aws/rds/instance/${db.inputs.identifier}/upgrade`, 30],
        ],
      );
      assert.equal(db.inputs.identifier, `huntaze-api-${stack}`, "explicit, known before deploy");
      for (const g of groups) {
        assert.ok(db.dependencies.includes(g.urn), `the instance waits for ${g.inputs.name}`);
      }
      assert.deepEqual(db.inputs.enabledCloudwatchLogsExports, ["postgresql", "upgrade"]);
    });

    it("lists them in logGroupNames, and leaves the account-wide RDSOSMetrics group alone", () => {
      const names = run.outputs.logGroupNames as string[];
      assert.ok(names.includes(`/aws/rds/instance/huntaze-api-${stack}/postgresql`));
      assert.ok(names.includes(`/aws/rds/instance/huntaze-api-${stack}/upgrade`));
      assert.ok(!names.includes("RDSOSMetrics"));
    });
  });
}

describe("RDS log groups follow the stack config", () => {
  it("keep the stack's logRetentionDays, like every other log group", async () => {
    const run = await runWith("staging", (c) => {
      c["huntaze-api:logRetentionDays"] = "90";
    });
    assert.deepEqual(
      rdsGroups(run).map((g) => g.inputs.retentionInDays),
      [90, 90],
    );
  });

  it("add RDSOSMetrics, kept on destroy and created before the instance, in the stack that owns it", async () => {
    const run = await runWith("prod", (c) => editDatabase(c, { manageOsMetricsLogGroup: true }));
    const group = byName(run, "database-os-metrics-log-group");
    assert.equal(group.inputs.name, "RDSOSMetrics");
    assert.equal(group.inputs.retentionInDays, 30);
    assert.equal(group.options.retainOnDelete, true, "other instances of the account write to it");
    assert.ok(byName(run, "database-instance").dependencies.includes(group.urn));
  });

  it("refuse a manageOsMetricsLogGroup that is not a boolean, naming the key and the stack file", async () => {
    await assert.rejects(
      runWith("prod", (c) => editDatabase(c, { manageOsMetricsLogGroup: "yes" })),
      /huntaze-api:database\.manageOsMetricsLogGroup must be true or false, not "yes" \(Pulumi\.prod\.yaml\)/,
    );
  });
});
