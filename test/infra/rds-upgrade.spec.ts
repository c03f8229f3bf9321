import * as assert from "node:assert/strict";
import { evaluatePolicies, mandatoryViolations } from "../../tools/policy/evaluate";
import {
  type CapturedResource,
  type ProgramRun,
  runProgram,
} from "../../tools/preview/run-program";
import { loadStackConfig } from "../../tools/preview/stack-config";
import { ofType, PROGRAM, PROJECT_ROOT } from "./support";

const INSTANCE = "aws:rds/instance:Instance";
const PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup";

/**
 * Inputs of aws_db_instance whose change replaces the instance (ForceNew in the provider's
 * schema): none of them may change in a major version upgrade, or the "upgrade" is a new,
 * empty database under the same identifier.
 */
const INSTANCE_REPLACE_INPUTS = [
  "identifier",
  "identifierPrefix",
  "engine",
  "dbName",
  "username",
  "kmsKeyId",
  "storageEncrypted",
  "availabilityZone",
  "characterSetName",
  "ncharCharacterSetName",
  "timezone",
  "snapshotIdentifier",
  "replicateSourceDb",
];

async function runWithDatabase(fields: Record<string, unknown>): Promise<ProgramRun> {
  const stackConfig = loadStackConfig(PROJECT_ROOT, "prod");
  const key = "huntaze-api:database";
  stackConfig.config[key] = JSON.stringify({
    ...JSON.parse(stackConfig.config[key] ?? "{}"),
    ...fields,
  });
  return runProgram({ programFile: PROGRAM, stackConfig, firstDeploy: false });
}

function only(run: ProgramRun, type: string): CapturedResource {
  const found = ofType(run, type);
  assert.equal(found.length, 1, type);
  return found[0]!;
}

describe("database.engineVersion 17 → 18: an in-place major upgrade", () => {
  let previous: ProgramRun;
  let upgraded: ProgramRun;

  before(async () => {
    previous = await runWithDatabase({ engineVersion: "17" });
    upgraded = await runWithDatabase({ engineVersion: "18", applyImmediately: true });
  });

  it("changes the instance's engineVersion and parameter group, and nothing that replaces it", () => {
    const was = only(previous, INSTANCE);
    const is = only(upgraded, INSTANCE);
    assert.equal(was.urn, is.urn, "the same resource");
    assert.equal(was.inputs.engineVersion, "17");
    assert.equal(is.inputs.engineVersion, "18");
    for (const input of INSTANCE_REPLACE_INPUTS) {
      assert.deepEqual(is.inputs[input], was.inputs[input], `${input} must not change`);
    }
    // RDS refuses a major version change without it.
    assert.equal(is.inputs.allowMajorVersionUpgrade, true);
    // The old parameter group can only be deleted once the instance has moved to the new one.
    assert.equal(is.inputs.applyImmediately, true);
    assert.equal(was.inputs.applyImmediately, false, "outside an upgrade, the maintenance window");
  });

  it("replaces the parameter group under a new generated name, so create-before-delete cannot collide", () => {
    const was = only(previous, PARAMETER_GROUP);
    const is = only(upgraded, PARAMETER_GROUP);
    assert.equal(was.inputs.family, "postgres17");
    assert.equal(is.inputs.family, "postgres18");
    assert.equal(was.inputs.name, undefined, "no fixed name");
    assert.equal(is.inputs.name, undefined, "no fixed name");
    assert.equal(was.inputs.namePrefix, "huntaze-api-prod-postgres17-");
    assert.equal(is.inputs.namePrefix, "huntaze-api-prod-postgres18-");
    assert.notEqual(was.outputs.name, is.outputs.name);
    assert.ok(String(is.outputs.name).startsWith("huntaze-api-prod-postgres18-"));
    // The instance uses the group of its version, through the group's output.
    const instance = only(upgraded, INSTANCE);
    assert.equal(instance.inputs.parameterGroupName, is.outputs.name);
    assert.deepEqual(instance.propertyDependencies.parameterGroupName, [is.urn]);
  });

  it("names the final snapshot after the generated group, never a fixed <identifier>-final", () => {
    for (const run of [previous, upgraded]) {
      const instance = only(run, INSTANCE);
      const group = only(run, PARAMETER_GROUP);
      assert.equal(instance.inputs.skipFinalSnapshot, false);
      assert.equal(instance.inputs.finalSnapshotIdentifier, `${String(group.outputs.name)}-final`);
      assert.match(String(instance.inputs.finalSnapshotIdentifier), /^[a-z][a-z0-9-]{0,254}$/);
      assert.doesNotMatch(String(instance.inputs.finalSnapshotIdentifier), /--|-$/);
    }
  });

  it("still passes every mandatory policy at first-deploy semantics with version 18", async () => {
    const stackConfig = loadStackConfig(PROJECT_ROOT, "prod");
    const key = "huntaze-api:database";
    stackConfig.config[key] = JSON.stringify({
      ...JSON.parse(stackConfig.config[key] ?? "{}"),
      engineVersion: "18",
    });
    const run = await runProgram({ programFile: PROGRAM, stackConfig });
    const evaluation = await evaluatePolicies(run, stackConfig);
    assert.deepEqual(mandatoryViolations(evaluation), []);
  });
});
