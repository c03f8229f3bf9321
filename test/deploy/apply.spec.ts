import * as assert from "node:assert/strict";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { deploy, judgeEngineRun, validate } from "../../tools/deploy/apply";
import { type EngineRun, policyEventCollector } from "../../tools/deploy/pulumi";
import { capture, engineEvent, FakeRunner, fakePulumi, policyEvent, summaryEvent } from "./helpers";

const API_LOGS = "urn:pulumi:prod::huntaze-api::aws:cloudwatch/logGroup:LogGroup::api-logs";
const mandatory = policyEvent(
  "cloudwatch-log-retention",
  "mandatory",
  "Log group must keep logs for at least 30 days.\nSet retentionInDays.",
  API_LOGS,
);
const advisory = policyEvent("xray-sampling-rule", "warning", "Sampling rule must sample less.");

/** A run judged from typed engine events, as the Automation API's onEvent delivers them. */
function runOf(code: number | null, events: EngineEvent[]): EngineRun {
  const collector = policyEventCollector();
  for (const event of events) collector.onEvent(event);
  return { code, violations: collector.violations };
}

describe("deploy validate and deploy steps", () => {
  it("previews the stack with the policy pack and the stack's policy config", async () => {
    const runner = new FakeRunner().on("pulumi preview", { events: [summaryEvent()] });
    const outcome = await validate(
      fakePulumi(runner),
      "prod",
      "policies/config/prod.json",
      capture(),
    );
    assert.ok(outcome.ok, outcome.summary);
    assert.deepEqual(runner.lines(), [
      "pulumi preview --stack prod --policy-pack policies --policy-pack-config policies/config/prod.json",
    ]);
  });

  it("stops on a mandatory policy violation and names the policy, the resource and the message", async () => {
    const runner = new FakeRunner().on("pulumi preview", {
      code: 255,
      events: [summaryEvent(), mandatory, advisory],
    });
    const outcome = await validate(
      fakePulumi(runner),
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
    assert.match(outcome.summary, /xray-sampling-rule \(warning\) on stack/);
  });

  it("treats a mandatory violation as fatal even if the engine exited 0", () => {
    assert.equal(judgeEngineRun("preview", runOf(0, [mandatory])).ok, false);
  });

  it("passes with advisory findings, listing them", () => {
    const outcome = judgeEngineRun("preview", runOf(0, [advisory]));
    assert.ok(outcome.ok);
    assert.match(outcome.summary, /succeeded with 1 advisory policy finding/);
  });

  it("fails closed when pulumi preview could not run a policy (the CLI reports it advisory and exits 0)", async () => {
    const cannotRun = policyEvent(
      "dlq-depth-alarm",
      "warning",
      "can't run policy 'dlq-depth-alarm' from policy pack 'huntaze-api@v0.1.0' during preview: string value at .redrivePolicy can't be known during preview",
    );
    const runner = new FakeRunner().on("pulumi preview", { code: 0, events: [cannotRun] });
    const outcome = await validate(
      fakePulumi(runner),
      "prod",
      "policies/config/prod.json",
      capture(),
    );
    assert.equal(outcome.ok, false);
    assert.match(
      outcome.summary,
      /1 policy check\(s\) that could not run during preview; nothing was deployed/,
    );
    assert.match(outcome.summary, /dlq-depth-alarm \(warning\) on stack: can't run policy/);
    assert.match(outcome.summary, /make the value it reads known at preview/);
  });

  it("fails when the engine fails without a policy violation", () => {
    const outcome = judgeEngineRun("up", runOf(255, []));
    assert.equal(outcome.ok, false);
    assert.match(outcome.summary, /pulumi up failed \(exit 255\)/);
  });

  it("updates the stack with the same pack", async () => {
    const runner = new FakeRunner().on("pulumi up", { events: [summaryEvent()] });
    const outcome = await deploy(
      fakePulumi(runner),
      "prod",
      "policies/config/prod.json",
      capture(),
    );
    assert.ok(outcome.ok);
    assert.deepEqual(runner.lines(), [
      "pulumi up --stack prod --policy-pack policies --policy-pack-config policies/config/prod.json",
    ]);
  });

  it("keeps only policy events from the engine's typed events, trimming their messages", () => {
    const run = runOf(0, [
      summaryEvent(),
      engineEvent({ diagnosticEvent: { message: "warning", color: "never", severity: "warning" } }),
      mandatory,
    ]);
    assert.deepEqual(run.violations, [
      {
        policyPackName: "huntaze-api",
        policyName: "cloudwatch-log-retention",
        enforcementLevel: "mandatory",
        resourceUrn: API_LOGS,
        message: "Log group must keep logs for at least 30 days.\nSet retentionInDays.",
      },
    ]);
  });

  it("reports a missing CLI during the run as a failed step", async () => {
    const runner = new FakeRunner().on("pulumi", { code: null, notFound: true });
    const outcome = await validate(fakePulumi(runner), "prod", "x.json", capture());
    assert.equal(outcome.ok, false);
    assert.match(outcome.summary, /Pulumi CLI not found on PATH/);
  });
});
