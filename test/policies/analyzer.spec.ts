import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../policies/src/pack";
import { ToolError } from "../../tools/lib/errors";
import { loadInProcessAnalyzer } from "../../tools/policy/analyzer";
import { buildEngineRequests, durationSeconds, toEngineValue } from "../../tools/policy/engine";
import { evaluatePolicies, mandatoryViolations, projectPack } from "../../tools/policy/evaluate";
import { captured, programRun, STACK_URN, stackConfig } from "../support/runs";
import { tempDir } from "../support/temp";
import { UNKNOWN } from "./helpers";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e";
const CMK = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const secretType = "aws:secretsmanager/secret:Secret";

describe("the offline evaluator drives @pulumi/policy's analyzer like the engine", () => {
  /** A rotation whose rotationEnabled is built from another resource: nothing known decides it. */
  const undecidable = () => {
    const secret = captured(secretType, "app-secret", { name: "s", kmsKeyId: CMK });
    const rotation = captured(
      "aws:secretsmanager/secretRotation:SecretRotation",
      "app-rotation",
      { secretId: UNKNOWN, rotationEnabled: UNKNOWN, rotationRules: { automaticallyAfterDays: 7 } },
      { propertyDependencies: { secretId: [secret.urn], rotationEnabled: [secret.urn] } },
    );
    return programRun([secret, rotation]);
  };

  it("fails closed when a mandatory policy can't run during preview (the library reports it advisory)", async () => {
    const result = await evaluatePolicies(undecidable(), stackConfig);
    const v = result.violations.find((x) => x.policy === "secretsmanager-secret-rotation");
    assert.equal(v?.level, "mandatory");
    assert.equal(v?.cannotRun, true);
    assert.match(
      v?.message ?? "",
      /^can't run policy 'secretsmanager-secret-rotation' from policy pack 'huntaze-api@v0\.1\.0' during preview: string value at \.rotationEnabled can't be known during preview\n/,
    );
    assert.match(v?.message ?? "", /make the value it reads known at preview/);
    assert.equal(mandatoryViolations(result).length, 1);
  });

  it("leaves a can't-run of a policy configured advisory advisory", async () => {
    const file = path.join(tempDir("policy-config-"), "c.json");
    fs.writeFileSync(file, JSON.stringify({ "secretsmanager-secret-rotation": "advisory" }));
    const result = await evaluatePolicies(undecidable(), stackConfig, { configFile: file });
    const v = result.violations.find((x) => x.policy === "secretsmanager-secret-rotation");
    assert.deepEqual([v?.level, v?.cannotRun], ["advisory", true]);
    assert.doesNotMatch(v?.message ?? "", /make the value it reads known/);
  });

  it("unwraps Pulumi secrets for the policies, as the library does", async () => {
    const secretKey = { [SIG]: SECRET, value: "alias/aws/secretsmanager" };
    const run = programRun([
      captured(secretType, "app-secret", { name: "s", kmsKeyId: secretKey }),
    ]);
    const result = await evaluatePolicies(run, stackConfig);
    assert.deepEqual(
      result.violations
        .filter((x) => x.policy === "secretsmanager-secret-cmk")
        .map((x) => [x.level, x.resourceName]),
      [["mandatory", "app-secret"]],
    );
  });

  it("applies the config's enforcement levels through Configure: advisory stays advisory, disabled never runs", async () => {
    const run = programRun([captured(secretType, "app-secret", { name: "s" })]);
    const file = path.join(tempDir("policy-config-"), "c.json");
    fs.writeFileSync(
      file,
      JSON.stringify({
        "secretsmanager-secret-cmk": "advisory",
        "secretsmanager-secret-rotation": "disabled",
      }),
    );
    const result = await evaluatePolicies(run, stackConfig, { configFile: file });
    const levels = Object.fromEntries(result.violations.map((v) => [v.policy, v.level]));
    assert.deepEqual(levels, { "secretsmanager-secret-cmk": "advisory" });
    assert.equal(
      result.policies.find((p) => p.name === "secretsmanager-secret-rotation")?.level,
      "disabled",
    );
  });

  it("leaves policies of other types not applicable (the library's type filter)", async () => {
    const run = programRun([captured(secretType, "app-secret", { name: "s", kmsKeyId: CMK })]);
    const result = await evaluatePolicies(run, stackConfig);
    const checked = Object.fromEntries(result.policies.map((p) => [p.name, p.checked]));
    assert.equal(checked["secretsmanager-secret-cmk"], 1);
    assert.equal(checked["lambda-tracing-active"], 0);
    assert.equal(checked["lambda-error-alarm"], 0);
  });

  it("surfaces a broken pack definition as an error instead of exiting the process", () => {
    const pack = projectPack();
    assert.throws(
      () =>
        loadInProcessAnalyzer({ ...pack, args: { policies: [{ ...policies[0], name: "all" }] } }),
      (err: unknown) => err instanceof ToolError && /"all" is a reserved name/.test(err.message),
    );
  });

  it("reports a policy that crashes with its stack trace, though analyses run without traces", async () => {
    const pack = projectPack();
    const limit = Error.stackTraceLimit;
    const crashing = {
      name: "crashing-policy",
      description: "Reads a property of nothing.",
      enforcementLevel: "mandatory" as const,
      validateStack: () => {
        const nothing = undefined as unknown as { props: Record<string, unknown> };
        return nothing.props.name;
      },
    };
    const transport = loadInProcessAnalyzer({
      ...pack,
      args: { ...pack.args, policies: [crashing] },
    });
    const requests = buildEngineRequests(programRun([]), stackConfig);
    await transport.configureStack(requests.configureStack);
    await assert.rejects(transport.analyzeStack(requests.stack), (err: Error) => {
      assert.match(err.message, /crashing-policy/);
      assert.match(err.message, /TypeError: Cannot read properties of undefined/);
      // The frame of the policy that crashed, which a trace-less analysis has not.
      assert.match(err.message, /^\s+at .*analyzer\.spec\.ts/m);
      return true;
    });
    assert.equal(Error.stackTraceLimit, limit);
  });

  it("gives every evaluation its own analyzer state", async () => {
    const run = programRun([captured(secretType, "app-secret", { name: "s" })]);
    const fs = await import("node:fs");
    const dir = tempDir("policy-config-");
    fs.writeFileSync(
      `${dir}/off.json`,
      JSON.stringify({ "secretsmanager-secret-cmk": "disabled" }),
    );
    const off = await evaluatePolicies(run, stackConfig, { configFile: `${dir}/off.json` });
    const on = await evaluatePolicies(run, stackConfig);
    assert.equal(off.violations.filter((v) => v.policy === "secretsmanager-secret-cmk").length, 0);
    assert.equal(on.violations.filter((v) => v.policy === "secretsmanager-secret-cmk").length, 1);
  });
});

describe("engine requests built from the mock run", () => {
  it("attaches the default AWS provider, with the stack's region, as the engine would", () => {
    const run = programRun([captured(secretType, "app-secret", { name: "s" })]);
    const requests = buildEngineRequests(run, stackConfig);
    const analyze = requests.analyze.find((r) => r.getName() === "app-secret");
    const provider = analyze?.getProvider();
    assert.equal(provider?.getType(), "pulumi:providers:aws");
    assert.equal(
      provider?.getUrn(),
      "urn:pulumi:prod::huntaze-api::pulumi:providers:aws::default_7_48_0",
    );
    assert.deepEqual(provider?.getProperties()?.toJavaScript(), {
      region: "eu-west-1",
      version: "7.48.0",
    });
    // The provider is itself a resource of the stack, registered before the first resource using it.
    assert.deepEqual(
      requests.analyze.map((r) => r.getType()),
      ["pulumi:pulumi:Stack", "pulumi:providers:aws", secretType],
    );
    assert.ok(
      requests.stack.getResourcesList().some((r) => r.getType() === "pulumi:providers:aws"),
    );
  });

  it("uses an explicit provider's own inputs", () => {
    const explicit = captured("pulumi:providers:aws", "us-east-1", { region: "us-east-1" });
    const secret = captured(
      secretType,
      "app-secret",
      { name: "s" },
      { provider: `${explicit.urn}::prov-id` },
    );
    const requests = buildEngineRequests(programRun([explicit, secret]), stackConfig);
    const provider = requests.analyze.find((r) => r.getName() === "app-secret")?.getProvider();
    assert.equal(provider?.getUrn(), explicit.urn);
    assert.deepEqual(provider?.getProperties()?.toJavaScript(), { region: "us-east-1" });
  });

  it("sends parents, dependencies and property dependencies with the stack request, options with each resource", () => {
    const topic = captured("aws:sns/topic:Topic", "alerts", { name: "t" });
    const alarm = captured(
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "err",
      { alarmActions: ["arn"] },
      {
        dependencies: [topic.urn],
        propertyDependencies: { alarmActions: [topic.urn], namespace: [] },
        options: {
          ...topic.options,
          protect: true,
          customTimeouts: { create: "5m", update: "", delete: "1h30m" },
        },
      },
    );
    const requests = buildEngineRequests(programRun([topic, alarm]), stackConfig);
    const msg = requests.stack.getResourcesList().find((r) => r.getName() === "err");
    assert.equal(msg?.getParent(), STACK_URN);
    assert.deepEqual(msg?.getDependenciesList(), [topic.urn]);
    const deps = msg?.getPropertydependenciesMap();
    assert.deepEqual(deps?.get("alarmActions")?.getUrnsList(), [topic.urn]);
    assert.equal(deps?.has("namespace"), false, "empty dependency lists are left out");
    const options = requests.analyze.find((r) => r.getName() === "err")?.getOptions();
    assert.equal(options?.getProtect(), true);
    assert.equal(options?.getParent(), STACK_URN);
    assert.equal(options?.getCustomtimeouts()?.getDelete(), 5400);
    assert.equal(durationSeconds("5m"), 300);
  });

  it("marshals properties like the engine: resource references become ids or URNs, internal keys go, secrets stay marked", () => {
    const value = toEngineValue({
      __defaults: ["name"],
      topic: { [SIG]: RESOURCE, urn: "urn:…:Topic::t", id: "arn:aws:sns:us-east-1:123456789012:t" },
      component: { [SIG]: RESOURCE, urn: "urn:…:Component::c" },
      pending: { [SIG]: RESOURCE, urn: "urn:…:Topic::p", id: "" },
      password: { [SIG]: SECRET, value: "x" },
      nested: [{ __meta: 1, keep: true }],
    });
    assert.deepEqual(value, {
      topic: "arn:aws:sns:us-east-1:123456789012:t",
      component: "urn:…:Component::c",
      pending: UNKNOWN,
      password: { [SIG]: SECRET, value: "x" },
      nested: [{ keep: true }],
    });
  });

  it("tells the analyzer which stack and project it runs for", () => {
    const requests = buildEngineRequests(programRun([]), stackConfig);
    assert.equal(requests.configureStack.getStack(), "prod");
    assert.equal(requests.configureStack.getTagsMap().get("pulumi:project"), "huntaze-api");
  });
});
