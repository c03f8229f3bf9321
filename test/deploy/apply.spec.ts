import * as assert from "node:assert/strict";
import { deploy, judgeEngineRun, policyArgs, validate } from "../../tools/deploy/apply";
import { PulumiCli, parsePolicyEvents } from "../../tools/deploy/pulumi";
import { capture, FakeRunner } from "./helpers";

const mandatory = {
  policyEvent: {
    resourceUrn: "urn:pulumi:prod::huntaze-api::aws:cloudwatch/logGroup:LogGroup::api-logs",
    message: "Log group must keep logs for at least 30 days.\nSet retentionInDays.",
    color: "never",
    policyName: "cloudwatch-log-retention",
    policyPackName: "huntaze-api",
    policyPackVersion: "0.1.0",
    policyPackVersionTag: "0.1.0",
    enforcementLevel: "mandatory",
  },
};
const advisory = {
  policyEvent: {
    ...mandatory.policyEvent,
    policyName: "xray-sampling-rule",
    enforcementLevel: "advisory",
    resourceUrn: undefined,
  },
};

describe("deploy validate and deploy steps", () => {
  it("runs pulumi preview with the stack, the policy pack and the stack's policy config", async () => {
    const runner = new FakeRunner().on("pulumi preview", { events: [] });
    const io = capture();
    const outcome = await validate(
      new PulumiCli(runner.run, "/project", {}),
      "prod",
      "policies/config/prod.json",
      io,
    );
    assert.ok(outcome.ok);
    const call = runner.calls[0];
    assert.equal(call?.options.stdio, "inherit", "the user sees Pulumi's own progress");
    assert.equal(call?.options.cwd, "/project");
    assert.deepEqual(call?.args.slice(0, 7), [
      "preview",
      "--stack",
      "prod",
      "--policy-pack",
      "policies",
      "--policy-pack-config",
      "policies/config/prod.json",
    ]);
    assert.equal(call?.args[7], "--event-log");
    assert.match(
      io.outText(),
      /\$ pulumi preview --stack prod --policy-pack policies --policy-pack-config policies\/config\/prod\.json/,
    );
  });

  it("stops on a mandatory policy violation and names the policy, the resource and the message", async () => {
    const runner = new FakeRunner().on("pulumi preview", {
      code: 255,
      events: [mandatory, advisory],
    });
    const outcome = await validate(
      new PulumiCli(runner.run, "/p", {}),
      "prod",
      "policies/config/prod.json",
      capture(),
    );
    assert.equal(outcome.ok, false);
    assert.match(outcome.summary, /1 mandatory policy violation\(s\); nothing was deployed/);
    assert.match(
      outcome.summary,
      /cloudwatch-log-retention \(mandatory\) on api-logs: Log group must keep logs for at least 30 days\./,
    );
    assert.match(outcome.summary, /xray-sampling-rule \(advisory\) on stack/);
  });

  it("treats a mandatory violation as fatal even if the CLI exited 0", () => {
    const outcome = judgeEngineRun("preview", {
      code: 0,
      violations: parsePolicyEvents(JSON.stringify(mandatory)),
    });
    assert.equal(outcome.ok, false);
  });

  it("passes with advisory findings, listing them", () => {
    const outcome = judgeEngineRun("preview", {
      code: 0,
      violations: parsePolicyEvents(JSON.stringify(advisory)),
    });
    assert.ok(outcome.ok);
    assert.match(outcome.summary, /succeeded with 1 advisory policy finding/);
  });

  it("fails closed when pulumi preview could not run a policy (the CLI reports it advisory and exits 0)", async () => {
    const cannotRun = {
      policyEvent: {
        ...advisory.policyEvent,
        policyName: "dlq-depth-alarm",
        message:
          "can't run policy 'dlq-depth-alarm' from policy pack 'huntaze-api@v0.1.0' during preview: string value at .redrivePolicy can't be known during preview",
      },
    };
    const runner = new FakeRunner().on("pulumi preview", { code: 0, events: [cannotRun] });
    const outcome = await validate(
      new PulumiCli(runner.run, "/p", {}),
      "prod",
      "policies/config/prod.json",
      capture(),
    );
    assert.equal(outcome.ok, false);
    assert.match(
      outcome.summary,
      /1 policy check\(s\) that could not run during preview; nothing was deployed/,
    );
    assert.match(outcome.summary, /dlq-depth-alarm \(advisory\) on stack: can't run policy/);
    assert.match(outcome.summary, /make the value it reads known at preview/);
  });

  it("fails when the engine fails without a policy violation", () => {
    const outcome = judgeEngineRun("up", { code: 255, violations: [] });
    assert.equal(outcome.ok, false);
    assert.match(outcome.summary, /pulumi up failed \(exit 255\)/);
  });

  it("runs pulumi up with the same pack and --yes (the confirmation happened before)", async () => {
    const runner = new FakeRunner().on("pulumi up", { events: [] });
    const outcome = await deploy(
      new PulumiCli(runner.run, "/p", {}),
      "prod",
      "policies/config/prod.json",
      capture(),
    );
    assert.ok(outcome.ok);
    assert.deepEqual(runner.calls[0]?.args.slice(0, 8), [
      "up",
      ...policyArgs("prod", "policies/config/prod.json"),
      "--yes",
    ]);
  });

  it("reads policy events from the event log and ignores other and truncated lines", () => {
    const log = [
      JSON.stringify({ summaryEvent: {} }),
      JSON.stringify(mandatory),
      '{"policyEvent": {"mess',
    ].join("\n");
    const violations = parsePolicyEvents(log);
    assert.equal(violations.length, 1);
    assert.equal(violations[0]?.policyName, "cloudwatch-log-retention");
    assert.equal(violations[0]?.enforcementLevel, "mandatory");
  });

  it("reports a missing CLI during the run as a failed step", async () => {
    const runner = new FakeRunner().on("pulumi", { code: null, notFound: true });
    const outcome = await validate(
      new PulumiCli(runner.run, "/p", {}),
      "prod",
      "x.json",
      capture(),
    );
    assert.equal(outcome.ok, false);
    assert.match(outcome.summary, /Pulumi CLI not found on PATH/);
  });
});
