import * as assert from "node:assert/strict";
import { costForRun } from "../../tools/cost";
import { evaluatePolicies } from "../../tools/policy/evaluate";
import { type ProgramRun, runProgram } from "../../tools/preview/run-program";
import { type LoadedStackConfig, loadStackConfig } from "../../tools/preview/stack-config";
import { byName, ofType, PROGRAM, PROJECT_ROOT, parsePolicy } from "./support";

const PROXY = "aws:rds/proxy:Proxy";

function withPooler(stack: string, pooler: string): LoadedStackConfig {
  const config = loadStackConfig(PROJECT_ROOT, stack);
  const key = "huntaze-api:database";
  const database = JSON.parse(config.config[key] ?? "{}");
  config.config[key] = JSON.stringify({ ...database, pooler });
  return config;
}

/** The prod stack with `database.pooler: rds-proxy`, previewed offline with the policy pack. */
describe("database.pooler: rds-proxy under the offline preview", function () {
  this.timeout(120_000);
  let run: ProgramRun;
  let stackConfig: LoadedStackConfig;

  before(async () => {
    stackConfig = withPooler("prod", "rds-proxy");
    // Deployed view: the IAM documents and endpoints these tests read are ARNs AWS computes.
    run = await runProgram({ programFile: PROGRAM, stackConfig, firstDeploy: false });
  });

  it("puts the proxy in the private subnets with TLS required, its own group and the app secret", () => {
    const [proxy] = ofType(run, PROXY);
    assert.ok(proxy, "a proxy");
    const network = ofType(run, "aws:ec2/subnet:Subnet").map((s) => s.urn);
    assert.equal(proxy.inputs.requireTls, true);
    assert.equal(proxy.inputs.engineFamily, "POSTGRESQL");
    assert.deepEqual(proxy.propertyDependencies.vpcSubnetIds?.sort(), [...network].sort());
    const group = byName(run, "network-proxy-sg");
    assert.deepEqual(proxy.propertyDependencies.vpcSecurityGroupIds, [group.urn]);
    const secret = byName(run, "db-secrets-app");
    const [auth] = proxy.inputs.auths as Array<Record<string, unknown>>;
    assert.equal(auth?.secretArn, secret.outputs.arn);
    assert.equal(auth?.iamAuth, "DISABLED");
    assert.equal(auth?.clientPasswordAuthType, "POSTGRES_SCRAM_SHA_256");
    const targetGroup = ofType(run, "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup")[0];
    assert.deepEqual(targetGroup?.inputs.connectionPoolConfig, {
      maxConnectionsPercent: 97,
      connectionBorrowTimeout: 5,
    });
    assert.equal(ofType(run, "aws:rds/proxyTarget:ProxyTarget").length, 1);
  });

  it("scopes the proxy's role to the app secret and to its key through Secrets Manager", () => {
    const policy = parsePolicy(byName(run, "db-proxy-secret-access").inputs.policy);
    const secretArn = byName(run, "db-secrets-app").outputs.arn;
    const [read, decrypt] = policy.Statement;
    assert.deepEqual(read?.Resource, secretArn);
    assert.deepEqual(decrypt?.Action, ["kms:Decrypt"]);
    assert.deepEqual(
      decrypt?.Condition?.StringEquals?.["kms:EncryptionContext:SecretARN"],
      secretArn,
    );
  });

  it("points the API and the worker at the proxy, with no direct path to the instance", () => {
    const proxy = ofType(run, PROXY)[0]!;
    const clients = byName(run, "network-proxy-clients-sg");
    for (const name of ["api-function", "worker-function"]) {
      const fn = byName(run, name);
      const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
      // The endpoint is provider-computed (unknown at preview): the link says where it comes from.
      assert.ok(env.DB_PROXY_HOST !== undefined, `${name}: DB_PROXY_HOST`);
      assert.ok(fn.propertyDependencies.environment?.includes(proxy.urn), name);
      const groups = fn.propertyDependencies.vpcConfig ?? [];
      assert.ok(groups.includes(clients.urn), name);
      assert.ok(!groups.includes(byName(run, "network-app-sg").urn), name);
    }
    const dbIngressSources = ofType(
      run,
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    )
      .filter((r) =>
        r.propertyDependencies.securityGroupId?.includes(byName(run, "network-db-sg").urn),
      )
      .flatMap((r) => r.propertyDependencies.referencedSecurityGroupId ?? []);
    assert.deepEqual(
      dbIngressSources.sort(),
      [
        byName(run, "network-app-sg").urn,
        byName(run, "network-proxy-sg").urn,
        byName(run, "network-rotation-sg").urn,
      ].sort(),
    );
  });

  it("alarms on client connections and pinned sessions, and passes every policy", async () => {
    const alarms = ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs.name);
    assert.ok(alarms.includes("huntaze-api-prod-rds-proxy-client-connections"));
    assert.ok(alarms.includes("huntaze-api-prod-rds-proxy-pinned-sessions"));
    // The gate runs at a first preview, where AWS's values are unknown.
    const firstDeploy = await runProgram({ programFile: PROGRAM, stackConfig });
    const evaluation = await evaluatePolicies(firstDeploy, stackConfig);
    assert.deepEqual(
      evaluation.violations.filter((v) => v.level === "mandatory"),
      [],
    );
    const budget = evaluation.policies.find((p) => p.name === "lambda-db-connection-budget");
    assert.ok(budget, "the capacity policy ran");
  });

  it("prices the proxy in --cost", () => {
    const report = costForRun(run, stackConfig);
    const line = report.lineItems.find((l) => /RDS Proxy in front of db\.t4g\.medium/.test(l.item));
    assert.ok(line, JSON.stringify(report.lineItems.map((l) => l.item)));
    assert.ok(line.monthlyUsd > 20 && line.monthlyUsd < 25, String(line.monthlyUsd));
  });

  it("changes nothing with pooler none (the stack file's default)", async () => {
    const none = await runProgram({
      programFile: PROGRAM,
      stackConfig: withPooler("prod", "none"),
    });
    const plain = await runProgram({
      programFile: PROGRAM,
      stackConfig: loadStackConfig(PROJECT_ROOT, "prod"),
    });
    assert.deepEqual(
      none.resources.map((r) => r.urn),
      plain.resources.map((r) => r.urn),
    );
    assert.equal(ofType(none, PROXY).length, 0);
  });
});
