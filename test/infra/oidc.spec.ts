import * as assert from "node:assert/strict";
import { evaluatePolicies } from "../../tools/policy/evaluate";
import { type ProgramRun, runProgram } from "../../tools/preview/run-program";
import { type LoadedStackConfig, loadStackConfig } from "../../tools/preview/stack-config";
import { byName, ofType, PROGRAM, PROJECT_ROOT } from "./support";

/** The bring-your-own-issuer path: `huntaze-api:auth.oidcIssuer` instead of a Cognito pool. */
describe("the prod stack with an OIDC issuer under the offline preview", () => {
  let run: ProgramRun;
  let stackConfig: LoadedStackConfig;

  before(async () => {
    stackConfig = loadStackConfig(PROJECT_ROOT, "prod");
    stackConfig.config["huntaze-api:auth"] = JSON.stringify({
      oidcIssuer: "https://login.example.com/",
      oidcAudience: ["huntaze-api"],
    });
    run = await runProgram({ programFile: PROGRAM, stackConfig });
  });

  it("creates no user pool and puts a cached Lambda REQUEST authorizer on every method but GET /health", () => {
    assert.equal(ofType(run, "aws:cognito/userPool:UserPool").length, 0);
    const authorizer = ofType(run, "aws:apigateway/authorizer:Authorizer")[0]!;
    assert.equal(authorizer.inputs.type, "REQUEST");
    assert.equal(authorizer.inputs.identitySource, "method.request.header.Authorization");
    assert.equal(authorizer.inputs.authorizerResultTtlInSeconds, 300);
    const fn = byName(run, "authorizer-function");
    assert.ok(authorizer.propertyDependencies.authorizerUri?.includes(fn.urn));
    for (const method of ofType(run, "aws:apigateway/method:Method")) {
      const expected = method.name === "http-health-method" ? "NONE" : "CUSTOM";
      assert.equal(method.inputs.authorization, expected, method.name);
    }
  });

  it("verifies against the issuer's JWKS outside the VPC, alarmed like every function", () => {
    const fn = byName(run, "authorizer-function");
    assert.equal(fn.inputs.vpcConfig, undefined);
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    assert.equal(env.AUTH_ISSUER, "https://login.example.com/");
    assert.equal(env.AUTH_JWKS_URI, "https://login.example.com/.well-known/jwks.json");
    assert.equal(env.AUTH_AUDIENCE, "huntaze-api");
    const api = byName(run, "api-function");
    const apiEnv = (api.inputs.environment as { variables: Record<string, string> }).variables;
    assert.equal(apiEnv.AUTH_MODE, "lambda-authorizer");
    const permission = ofType(run, "aws:lambda/permission:Permission").find(
      (p) => p.name === "http-authorizer-permission",
    );
    assert.ok(permission, "API Gateway may invoke the authorizer");
    assert.ok(
      ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").some(
        (a) => a.inputs.name === "huntaze-api-prod-function-error-rate-authorizer",
      ),
    );
  });

  it("passes the policy pack (the CUSTOM methods name their authorizer)", async () => {
    const evaluation = await evaluatePolicies(run, stackConfig);
    assert.deepEqual(
      evaluation.violations.filter((v) => v.level === "mandatory"),
      [],
    );
    // Outside the VPC by design: exempted from lambda-in-vpc by the tag on the function itself,
    // with its owner.
    assert.deepEqual(
      evaluation.exemptions.map((e) => [e.status, e.policy, e.resourceName, e.source, e.owner]),
      [["in-force", "lambda-in-vpc", "authorizer-function", "resource-tag", "platform-team"]],
    );
  });
});
