import * as assert from "node:assert/strict";
import * as path from "node:path";
import { evaluatePolicies, type PolicyEvaluation } from "../../tools/policy/evaluate";
import { connectAnalyzer, type ServedPack, servePolicyPack } from "../../tools/policy/grpc";
import { runProgram } from "../../tools/preview/run-program";
import { loadStackConfig } from "../../tools/preview/stack-config";
import { captured, programRun, stackConfig } from "../support/runs";
import { UNKNOWN } from "./helpers";

const ROOT = path.resolve(__dirname, "..", "..");

/** Everything but the timing, which differs run to run. */
function comparable(e: PolicyEvaluation) {
  const { durationMs: _, ...rest } = e;
  return rest;
}

describe("the pack served over gRPC the way the Pulumi CLI serves it", function () {
  // The CLI's runtime compiles the TypeScript pack with ts-node and type checking: a few seconds.
  this.timeout(180_000);
  let served: ServedPack;

  before(async () => {
    served = await servePolicyPack(path.join(ROOT, "policies"));
  });
  after(() => served?.stop());

  for (const program of [
    "infra/index.ts",
    "test/fixtures/policy/compliant.ts",
    "test/fixtures/policy/password-in-environment.ts",
    "test/fixtures/policy/function-without-error-alarm.ts",
  ]) {
    it(`gives the same results as the in-process analyzer for ${program}`, async () => {
      const prod = loadStackConfig(ROOT, "prod");
      const run = await runProgram({ programFile: path.join(ROOT, program), stackConfig: prod });
      const overGrpc = await evaluatePolicies(run, prod, {
        transport: connectAnalyzer(served.address),
      });
      const inProcess = await evaluatePolicies(run, prod);
      assert.deepEqual(comparable(overGrpc), comparable(inProcess));
      assert.ok(
        inProcess.policies.some((p) => p.checked > 0),
        "the pack judged something",
      );
    });
  }

  it("reports values unknown during preview the same way over gRPC and in-process", async () => {
    const secret = captured("aws:secretsmanager/secret:Secret", "app-secret", {
      name: "s",
      kmsKeyId: UNKNOWN,
    });
    const run = programRun([
      secret,
      captured("aws:lambda/function:Function", "api", {
        name: "fn",
        environment: { variables: { DB_PASSWORD: "x", DB_SECRET_ARN: UNKNOWN } },
      }),
      captured(
        "aws:secretsmanager/secretRotation:SecretRotation",
        "app-rotation",
        {
          secretId: UNKNOWN,
          rotationEnabled: UNKNOWN,
          rotationRules: { automaticallyAfterDays: 7 },
        },
        { propertyDependencies: { secretId: [secret.urn], rotationEnabled: [secret.urn] } },
      ),
    ]);
    const overGrpc = await evaluatePolicies(run, stackConfig, {
      transport: connectAnalyzer(served.address),
    });
    const inProcess = await evaluatePolicies(run, stackConfig);
    assert.deepEqual(comparable(overGrpc), comparable(inProcess));
    // Decided from what is known: a key ARN unknown at preview, a variable judged by its name.
    const cantRun = inProcess.violations.filter((v) => v.message.startsWith("can't run policy"));
    assert.deepEqual(cantRun.map((v) => [v.policy, v.level, v.cannotRun]).sort(), [
      ["secretsmanager-secret-rotation", "mandatory", true],
    ]);
    assert.ok(
      inProcess.violations.some((v) => v.message.includes("environment variable DB_PASSWORD")),
    );
  });
});
