import * as assert from "node:assert/strict";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import {
  checkAwsIdentity,
  checkGitClean,
  checkPulumiCli,
  checkPulumiLogin,
  checkStackExists,
  checkTests,
  readDeployConfig,
} from "../../tools/deploy/prechecks";
import { versionAtLeast } from "../../tools/deploy/pulumi";
import {
  awsError,
  capture,
  FakeRunner,
  fakeProject,
  fakePulumi,
  healthyRunner,
  mockedAws,
} from "./helpers";

const cli = (runner: FakeRunner) => fakePulumi(runner);
const config = {
  stackFile: "Pulumi.prod.yaml",
  region: "us-east-1",
  expectedAccountId: "111122223333",
  policyConfig: "policies/config/prod.json",
  logRetentionDays: 30,
};

describe("deploy pre-check: Pulumi CLI", () => {
  it("fails when the CLI is not installed, saying how to install it", async () => {
    const runner = new FakeRunner().on("pulumi", { code: null, notFound: true });
    const result = await checkPulumiCli(cli(runner));
    assert.equal(result.status, "fail");
    assert.match(
      result.detail,
      /`pulumi` is not on PATH: install it with `curl -fsSL https:\/\/get\.pulumi\.com \| sh`/,
    );
  });

  it("fails on a CLI older than 3.58 (no `whoami --json`)", async () => {
    const runner = new FakeRunner().on("pulumi version", { stdout: "v3.40.1\n" });
    const result = await checkPulumiCli(cli(runner));
    assert.equal(result.status, "fail");
    assert.match(result.detail, /version 3\.40\.1 is too old \(need >= 3\.58\.0\)/);
  });

  it("passes on a current CLI and reports its version", async () => {
    const result = await checkPulumiCli(cli(healthyRunner()));
    assert.deepEqual(result, { name: "Pulumi CLI", status: "ok", detail: "v3.210.0" });
  });

  it("compares versions numerically", () => {
    assert.ok(versionAtLeast("3.100.0", "3.58.0"));
    assert.ok(versionAtLeast("v4.0.0", "3.58.0"));
    assert.ok(!versionAtLeast("3.9.9", "3.58.0"));
    assert.ok(versionAtLeast("3.58.0-alpha.1", "3.58.0"));
  });
});

describe("deploy pre-check: Pulumi login", () => {
  it("fails when no backend is logged in, naming `pulumi login`", async () => {
    const runner = new FakeRunner().on("pulumi whoami", {
      code: 255,
      stderr:
        "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions",
    });
    const result = await checkPulumiLogin(cli(runner));
    assert.equal(result.status, "fail");
    assert.match(result.detail, /PULUMI_ACCESS_TOKEN must be set/);
    assert.match(result.detail, /run `pulumi login`/);
  });

  it("reports the user and backend when logged in", async () => {
    const result = await checkPulumiLogin(cli(healthyRunner()));
    assert.equal(result.status, "ok");
    assert.equal(result.detail, "ops on https://app.pulumi.com");
  });
});

describe("deploy pre-check: stack config", () => {
  it("reads the region, expected account and policy config of the stack", () => {
    const { result, config: read } = readDeployConfig(fakeProject(), "prod", "prod");
    assert.equal(result.status, "ok");
    assert.deepEqual(read, config);
  });

  it("requires huntaze-api:expectedAccountId, naming the key, the stack file and the command that sets it", () => {
    const dir = fakeProject({ "aws:region": "us-east-1" });
    const { result } = readDeployConfig(dir, "prod", "prod");
    assert.equal(result.status, "fail");
    assert.match(
      result.detail,
      /huntaze-api:expectedAccountId must be the 12-digit AWS account id this stack deploys to \(Pulumi\.prod\.yaml, not set\)/,
    );
    assert.match(
      result.detail,
      /pulumi config set huntaze-api:expectedAccountId <account id> --stack prod/,
    );
  });

  it("reads huntaze-api:logRetentionDays for the verification, 30 days when unset like the program", () => {
    const dir = fakeProject({
      "aws:region": "us-east-1",
      "huntaze-api:expectedAccountId": "111122223333",
      "huntaze-api:logRetentionDays": 90,
    });
    const { result, config: read } = readDeployConfig(dir, "prod", "prod");
    assert.equal(read?.logRetentionDays, 90);
    assert.match(result.detail, /log retention 90 days/);
    assert.equal(readDeployConfig(fakeProject(), "prod", "prod").config?.logRetentionDays, 30);
  });

  it("rejects a log retention that is not a whole number of days, naming the key and the fix", () => {
    const dir = fakeProject({
      "aws:region": "us-east-1",
      "huntaze-api:expectedAccountId": "111122223333",
      "huntaze-api:logRetentionDays": "a month",
    });
    const { result, config: read } = readDeployConfig(dir, "prod", "prod");
    assert.equal(result.status, "fail");
    assert.equal(read, undefined);
    assert.match(
      result.detail,
      /huntaze-api:logRetentionDays must be a whole number of days such as 30 \(Pulumi\.prod\.yaml, got "a month"\); run `pulumi config set huntaze-api:logRetentionDays 30 --stack prod`/,
    );
  });

  it("rejects an account id that is not 12 digits", () => {
    const dir = fakeProject({ "aws:region": "us-east-1", "huntaze-api:expectedAccountId": "1234" });
    assert.match(readDeployConfig(dir, "prod", "prod").result.detail, /got "1234"/);
  });

  it("requires aws:region", () => {
    const dir = fakeProject({ "huntaze-api:expectedAccountId": "111122223333" });
    const { result } = readDeployConfig(dir, "prod", "prod");
    assert.match(
      result.detail,
      /aws:region is not set in Pulumi\.prod\.yaml; run `pulumi config set aws:region us-east-1 --stack prod`/,
    );
  });

  it("requires the stack's policy pack config", () => {
    const dir = fakeProject(undefined, { policyConfig: false });
    assert.match(
      readDeployConfig(dir, "prod", "prod").result.detail,
      /policies\/config\/prod\.json does not exist/,
    );
  });

  it("reports a stack without a stack file", () => {
    const dir = fakeProject();
    const { result } = readDeployConfig(dir, "qa", "qa");
    assert.equal(result.status, "fail");
    assert.match(
      result.detail,
      /unknown stack "qa": Pulumi\.qa\.yaml does not exist \(stacks: prod\)/,
    );
  });
});

describe("deploy pre-check: stack exists", () => {
  it("finds the stack and tells whether it has resources", async () => {
    const found = await checkStackExists(cli(healthyRunner()), "prod");
    assert.equal(found.result.status, "ok");
    assert.ok(found.hasResources);
  });

  it("accepts an organization-qualified name from the backend", async () => {
    const runner = new FakeRunner().on("pulumi stack ls", {
      stdout: JSON.stringify([{ name: "huntaze/prod", resourceCount: 0 }]),
    });
    const found = await checkStackExists(cli(runner), "prod");
    assert.equal(found.result.status, "ok");
    assert.equal(found.hasResources, false);
    assert.match(found.result.detail, /first deploy/);
  });

  it("fails for a stack the backend does not have, with the init command", async () => {
    const runner = new FakeRunner().on("pulumi stack ls", {
      stdout: JSON.stringify([{ name: "staging" }]),
    });
    const found = await checkStackExists(cli(runner), "prod");
    assert.equal(found.result.status, "fail");
    assert.match(
      found.result.detail,
      /stack "prod" does not exist in this backend \(stacks: staging\); create it with `pulumi stack init prod`/,
    );
  });
});

describe("deploy pre-check: AWS credentials", () => {
  it("passes when STS reports the expected account", async () => {
    const aws = mockedAws();
    aws.sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: "111122223333", Arn: "arn:aws:iam::111122223333:user/ops" });
    const { result, accountId } = await checkAwsIdentity(aws.clients.sts, config, {});
    assert.equal(result.status, "ok");
    assert.equal(accountId, "111122223333");
  });

  it("fails when the credentials belong to another account, naming both and the config key", async () => {
    const aws = mockedAws();
    aws.sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: "999988887777", Arn: "arn:aws:iam::999988887777:user/dev" });
    const { result } = await checkAwsIdentity(aws.clients.sts, config, {});
    assert.equal(result.status, "fail");
    assert.match(
      result.detail,
      /belong to account 999988887777 .* but Pulumi\.prod\.yaml expects 111122223333 \(huntaze-api:expectedAccountId\)/,
    );
  });

  it("explains missing and expired credentials", async () => {
    const aws = mockedAws();
    aws.sts
      .on(GetCallerIdentityCommand)
      .rejects(
        awsError("CredentialsProviderError", "Could not load credentials from any providers"),
      );
    assert.match(
      (await checkAwsIdentity(aws.clients.sts, config, {})).result.detail,
      /no AWS credentials found .*set AWS_PROFILE/,
    );
    aws.sts
      .on(GetCallerIdentityCommand)
      .rejects(awsError("ExpiredToken", "The security token included in the request is expired"));
    assert.match(
      (await checkAwsIdentity(aws.clients.sts, config, {})).result.detail,
      /the AWS session has expired/,
    );
  });

  it("warns when AWS_REGION differs from the stack's aws:region, and uses the stack's", async () => {
    const aws = mockedAws();
    aws.sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: "111122223333", Arn: "arn:aws:iam::111122223333:user/ops" });
    const { result } = await checkAwsIdentity(aws.clients.sts, config, { AWS_REGION: "eu-west-1" });
    assert.equal(result.status, "warn");
    assert.match(
      result.detail,
      /AWS_REGION=eu-west-1 differs from aws:region us-east-1 .* every check use us-east-1/,
    );
  });
});

describe("deploy pre-check: working tree", () => {
  it("passes on a clean tree and records the commit", async () => {
    const { result, commit } = await checkGitClean(healthyRunner().run, "/p", false);
    assert.equal(result.status, "ok");
    assert.equal(commit, "abc1234");
  });

  it("fails on uncommitted changes, listing them", async () => {
    const runner = healthyRunner().on("git status", {
      stdout: " M infra/index.ts\n?? notes.txt\n",
    });
    const { result } = await checkGitClean(runner.run, "/p", false);
    assert.equal(result.status, "fail");
    assert.match(
      result.detail,
      /2 uncommitted change\(s\): infra\/index\.ts, notes\.txt; commit them .* or pass --allow-dirty/,
    );
  });

  it("only warns with --allow-dirty, and marks the commit dirty", async () => {
    const runner = healthyRunner().on("git status", { stdout: " M infra/index.ts\n" });
    const { result, commit } = await checkGitClean(runner.run, "/p", true);
    assert.equal(result.status, "warn");
    assert.equal(commit, "abc1234-dirty");
  });

  it("fails outside a git repository", async () => {
    const runner = new FakeRunner().on("git status", {
      code: 128,
      stderr: "fatal: not a git repository",
    });
    assert.match(
      (await checkGitClean(runner.run, "/p", false)).result.detail,
      /not a git repository/,
    );
  });
});

describe("deploy pre-check: npm test", () => {
  it("runs `npm test` in the project and passes when it does", async () => {
    const runner = healthyRunner();
    const io = capture();
    const result = await checkTests(runner.run, "/project", false, io);
    assert.equal(result.status, "ok");
    assert.deepEqual(
      runner.calls.map((c) => [c.command, c.args.join(" "), c.options.cwd]),
      [["npm", "test", "/project"]],
    );
  });

  it("fails with the end of the test output when the suite fails", async () => {
    const runner = new FakeRunner().on("npm test", {
      code: 1,
      stdout: "  55 passing\n  1 failing\n  1) alarms exist",
    });
    const result = await checkTests(runner.run, "/p", false, capture());
    assert.equal(result.status, "fail");
    assert.match(
      result.detail,
      /failed after \d+ s \(exit 1\).*\n[\s\S]*1 failing\n\s+1\) alarms exist/,
    );
  });

  it("skips only with the explicit flag, and says so", async () => {
    const runner = new FakeRunner();
    const result = await checkTests(runner.run, "/p", true, capture());
    assert.equal(result.status, "warn");
    assert.match(result.detail, /skipped \(--skip-tests\)/);
    assert.equal(runner.calls.length, 0);
  });

  it("prints a heartbeat while the suite runs", async () => {
    const runner = new FakeRunner().on("npm test", () => ({}));
    const slow: typeof runner.run = (c, a, o) =>
      new Promise((r) => setTimeout(() => r(runner.run(c, a, o)), 60));
    const io = capture();
    await checkTests(slow, "/p", false, io, 10);
    assert.match(io.outText(), /… npm test: still running/);
  });
});
