import * as assert from "node:assert/strict";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
} from "@aws-sdk/client-rds";
import { DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import { ListSubscriptionsByTopicCommand } from "@aws-sdk/client-sns";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { GetSamplingRulesCommand } from "@aws-sdk/client-xray";
import { type DeployDeps, parseDeployArgs, runDeploy } from "../../tools/deploy/cli";
import {
  capture,
  type FakeRunner,
  fakeProject,
  fakePulumi,
  healthyRunner,
  mockedAws,
  policyEvent,
} from "./helpers";

const NOW = new Date("2026-11-28T12:00:00Z");
const TOPIC = "arn:aws:sns:us-east-1:111122223333:huntaze-api-prod-alarms";
const OUTPUTS = {
  apiUrl: "https://abc123.execute-api.us-east-1.amazonaws.com/v1",
  alarmTopicArn: TOPIC,
  alarmNames: ["huntaze-api-prod-dlq-depth"],
  logGroupNames: [
    "/aws/lambda/huntaze-api-prod-api",
    "/aws/rds/instance/huntaze-api-prod/postgresql",
  ],
  samplingRuleName: "huntaze-api-prod",
  samplingRate: 0.1,
  dbInstanceId: "huntaze-api-prod-db",
  appSecretArn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:app",
};

/** A world where everything is healthy; `order` records the steps that touch AWS or Pulumi. */
function world(outputs: Record<string, unknown> = OUTPUTS) {
  const order: string[] = [];
  const runner = healthyRunner(outputs)
    .on("pulumi preview", () => {
      order.push("preview");
      return { events: [] };
    })
    .on("pulumi up", () => {
      order.push("up");
      return { events: [] };
    })
    .on("npm test", () => {
      order.push("npm test");
      return { stdout: "passing" };
    });
  const aws = mockedAws();
  aws.sts.on(GetCallerIdentityCommand).callsFake(() => {
    order.push("sts");
    return { Account: "111122223333", Arn: "arn:aws:iam::111122223333:user/ops" };
  });
  aws.rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [{ DBInstanceStatus: "available", PerformanceInsightsEnabled: true }],
  });
  aws.rds.on(CreateDBSnapshotCommand).callsFake(() => {
    order.push("snapshot");
    return {};
  });
  aws.rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ Status: "available" }] });
  aws.cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      { AlarmName: "huntaze-api-prod-dlq-depth", StateValue: "OK", ActionsEnabled: true },
    ],
  });
  // Every group (and the account's RDSOSMetrics) exists with 30 days.
  aws.logs.on(DescribeLogGroupsCommand).callsFake((input: { logGroupNamePrefix: string }) => ({
    logGroups: [{ logGroupName: input.logGroupNamePrefix, retentionInDays: 30 }],
  }));
  aws.secrets.on(DescribeSecretCommand).resolves({
    Name: "app",
    RotationEnabled: true,
    RotationRules: { AutomaticallyAfterDays: 30 },
    LastRotatedDate: NOW,
  });
  aws.sns.on(ListSubscriptionsByTopicCommand).resolves({
    Subscriptions: [{ Protocol: "email", Endpoint: "ops@x", SubscriptionArn: `${TOPIC}:1` }],
  });
  aws.xray.on(GetSamplingRulesCommand).resolves({
    SamplingRuleRecords: [
      { SamplingRule: { RuleName: "huntaze-api-prod", FixedRate: 0.1 } as never },
    ],
  });
  const io = capture();
  let confirmations = 0;
  let clock = 0;
  const deps: DeployDeps = {
    io,
    run: runner.run,
    pulumi: fakePulumi(runner),
    aws: () => aws.clients,
    fetch: async () => {
      clock += 80;
      return { status: 200 };
    },
    confirm: async () => {
      confirmations++;
      order.push("confirm");
      return true;
    },
    interactive: true,
    now: () => NOW,
    clock: () => clock,
    sleep: async () => {},
    projectRoot: fakeProject(),
    env: {},
    snapshotPollMs: 1,
  };
  return { order, runner, aws, io, deps, confirmations: () => confirmations };
}

const deployArgs = (...extra: string[]) => parseDeployArgs(["--stack", "prod", ...extra]);
const pulumiCalls = (runner: FakeRunner) => runner.lines().filter((l) => l.startsWith("pulumi"));

describe("npm run deploy: the whole flow", () => {
  it("runs pre-checks, backup, preview, confirmation, up and verification in that order", async () => {
    const w = world();
    const code = await runDeploy(deployArgs(), w.deps);
    assert.equal(code, 0, w.io.all());
    assert.deepEqual(w.order, ["sts", "npm test", "snapshot", "preview", "confirm", "up"]);
    assert.match(
      w.io.outText(),
      /\[1\/5\] Pre-checks[\s\S]*\[2\/5\] Backup[\s\S]*\[3\/5\] Validate[\s\S]*\[4\/5\] Deploy[\s\S]*\[5\/5\] Verify/,
    );
    assert.match(
      w.io.outText(),
      /Pre-deploy snapshot \(data rollback point\): huntaze-api-prod-predeploy-20261128-120000/,
    );
    assert.match(w.io.outText(), /Deployed and verified stack "prod"/);
  });

  it("stops at the first failed pre-check: no snapshot, no preview, no up", async () => {
    const w = world();
    w.aws.sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: "999988887777", Arn: "arn:aws:iam::999988887777:user/x" });
    const code = await runDeploy(deployArgs(), w.deps);
    assert.equal(code, 1);
    assert.deepEqual(w.order, []);
    assert.equal(w.aws.rds.calls().length, 0);
    assert.match(
      w.io.errText(),
      /\[FAIL\] AWS credentials: the credentials belong to account 999988887777/,
    );
  });

  it("fails fast when the Pulumi CLI is missing, before touching AWS or git", async () => {
    const w = world();
    w.runner.on("pulumi", { code: null, notFound: true });
    assert.equal(await runDeploy(deployArgs(), w.deps), 1);
    assert.deepEqual(w.runner.lines(), ["pulumi version"]);
    assert.equal(w.aws.sts.calls().length, 0);
  });

  it("stops on a mandatory policy violation before asking for confirmation or running up", async () => {
    const w = world();
    w.runner.on("pulumi preview", {
      code: 255,
      events: [
        policyEvent(
          "lambda-error-alarm",
          "mandatory",
          "Lambda function must have an error alarm.",
          "urn:pulumi:prod::huntaze-api::aws:lambda/function:Function::api",
        ),
      ],
    });
    const code = await runDeploy(deployArgs(), w.deps);
    assert.equal(code, 1);
    assert.equal(w.confirmations(), 0);
    assert.ok(!w.runner.ran("pulumi up"));
    assert.match(
      w.io.errText(),
      /lambda-error-alarm \(mandatory\) on api: Lambda function must have an error alarm\./,
    );
  });

  it("changes nothing when the confirmation is declined", async () => {
    const w = world();
    w.deps.confirm = async () => false;
    assert.equal(await runDeploy(deployArgs(), w.deps), 1);
    assert.ok(!w.runner.ran("pulumi up"));
    assert.match(w.io.errText(), /Deploy declined: nothing was changed/);
  });

  it("refuses to deploy without --yes when nobody can answer the prompt", async () => {
    const w = world();
    w.deps.interactive = false;
    assert.equal(await runDeploy(deployArgs(), w.deps), 1);
    assert.ok(!w.runner.ran("pulumi up"));
    assert.match(w.io.errText(), /stdin is not a terminal.*pass --yes/);
  });

  it("deploys without asking with --yes", async () => {
    const w = world();
    w.deps.interactive = false;
    assert.equal(await runDeploy(deployArgs("--yes"), w.deps), 0, w.io.all());
    assert.equal(w.confirmations(), 0);
    assert.ok(
      w.runner.ran(
        "pulumi up --stack prod --policy-pack policies --policy-pack-config policies/config/prod.json",
      ),
    );
  });

  it("skips the snapshot with a note on a first deploy (no resources, no outputs yet)", async () => {
    const w = world();
    w.runner.on("pulumi stack ls --json", {
      stdout: JSON.stringify([{ name: "prod", resourceCount: 0 }]),
    });
    assert.equal(await runDeploy(deployArgs("--yes"), w.deps), 0, w.io.all());
    assert.ok(!w.order.includes("snapshot"));
    assert.match(
      w.io.outText(),
      /\[skip\] snapshot: the stack has no `dbInstanceId` output yet \(first deploy/,
    );
  });

  it("with --skip-tests, does not run the suite and says so", async () => {
    const w = world();
    assert.equal(await runDeploy(deployArgs("--yes", "--skip-tests"), w.deps), 0);
    assert.ok(!w.order.includes("npm test"));
    assert.match(w.io.outText(), /\[warn\] npm test: skipped \(--skip-tests\)/);
  });

  it("with --preview-only, stops after the preview without a snapshot", async () => {
    const w = world();
    assert.equal(await runDeploy(deployArgs("--preview-only"), w.deps), 0);
    assert.deepEqual(w.order, ["sts", "npm test", "preview"]);
    assert.match(w.io.outText(), /\[2\/2\] Validate/);
  });

  it("with --verify-only, checks access then verifies, without git, tests, snapshot, preview or up", async () => {
    const w = world();
    assert.equal(await runDeploy(deployArgs("--verify-only"), w.deps), 0, w.io.all());
    assert.deepEqual(w.order, ["sts"]);
    assert.ok(!w.runner.ran("git"));
    assert.deepEqual(pulumiCalls(w.runner), [
      "pulumi version",
      "pulumi whoami --json",
      "pulumi stack ls --json",
      "pulumi stack output --json --stack prod",
    ]);
    assert.match(w.io.outText(), /Verified stack "prod"/);
  });

  it("exits 1 when a verification check fails, saying the deploy itself completed", async () => {
    const w = world();
    w.aws.cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: "huntaze-api-prod-dlq-depth", StateValue: "ALARM", ActionsEnabled: true },
      ],
    });
    assert.equal(await runDeploy(deployArgs("--yes"), w.deps), 1);
    assert.match(w.io.outText(), /alarms\s+FAIL\s+1 in ALARM/);
    assert.match(w.io.errText(), /Verification failed: alarms .* The deploy itself completed/);
  });

  it("verifies log retention against the stack config's huntaze-api:logRetentionDays", async () => {
    const w = world();
    w.deps.projectRoot = fakeProject({
      "aws:region": "us-east-1",
      "huntaze-api:expectedAccountId": "111122223333",
      "huntaze-api:logRetentionDays": 90,
    });
    assert.equal(await runDeploy(deployArgs("--verify-only"), w.deps), 1);
    assert.match(
      w.io.outText(),
      /log-retention\s+FAIL\s+2 with another retention: \/aws\/lambda\/huntaze-api-prod-api keeps 30 days, the stack config says 90/,
    );
    assert.match(w.io.errText(), /Verification failed: log-retention/);
  });

  it("passes with warnings (pending email confirmation) and names them", async () => {
    const w = world();
    w.aws.sns.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: [
        { Protocol: "email", Endpoint: "ops@x", SubscriptionArn: "PendingConfirmation" },
      ],
    });
    assert.equal(await runDeploy(deployArgs("--yes"), w.deps), 0);
    assert.match(w.io.outText(), /with 1 warning\(s\): alert-subscriptions/);
  });

  it("points at the snapshot when pulumi up fails", async () => {
    const w = world();
    w.runner.on("pulumi up", { code: 255, events: [] });
    assert.equal(await runDeploy(deployArgs("--yes"), w.deps), 1);
    assert.match(
      w.io.errText(),
      /Pre-deploy snapshot for a data rollback: huntaze-api-prod-predeploy-/,
    );
  });

  it("does not deploy when the snapshot fails", async () => {
    const w = world();
    w.aws.rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ Status: "failed" }] });
    assert.equal(await runDeploy(deployArgs("--yes"), w.deps), 1);
    assert.ok(!w.runner.ran("pulumi preview"));
  });
});
