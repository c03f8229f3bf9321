import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { AnalyzerInfo } from "@pulumi/pulumi/proto/analyzer_pb";
import { EXIT_USAGE, ToolError } from "../../tools/lib/errors";
import { loadInProcessAnalyzer } from "../../tools/policy/analyzer";
import {
  compilePolicySchema,
  policyConfigProblems,
  readPolicyConfigFile,
  reconcilePolicyConfig,
} from "../../tools/policy/config";
import { projectPack } from "../../tools/policy/evaluate";
import { tempDir } from "../support/temp";

describe("policy config, reconciled as the engine does before Configure", () => {
  let info: AnalyzerInfo;
  before(async () => {
    info = await loadInProcessAnalyzer(projectPack()).getAnalyzerInfo();
  });

  const reconcile = (doc: Record<string, unknown> | undefined) =>
    reconcilePolicyConfig(info, doc, "policies/config/test.json");

  const rejects = (doc: Record<string, unknown>, message: RegExp) =>
    assert.throws(
      () => reconcile(doc),
      (err: unknown) => {
        assert.ok(err instanceof ToolError, String(err));
        assert.equal(err.exitCode, EXIT_USAGE);
        assert.match(err.message, /^policies\/config\/test\.json: /);
        assert.match(err.message, message);
        return true;
      },
    );

  it("starts from each policy's own level and schema defaults", () => {
    const config = reconcile(undefined);
    assert.equal(config["cloudwatch-log-group-retention"].enforcementLevel, "mandatory");
    assert.deepEqual(config["cloudwatch-log-group-retention"].properties, {
      minRetentionDays: 30,
      exemptions: [],
      allowResourceExemptions: true,
    });
    assert.equal(config["xray-sampling-rule"].enforcementLevel, "advisory");
  });

  it("applies 'all' first, then each policy's own entry, keeping unset defaults", () => {
    const config = reconcile({
      all: "advisory",
      "lambda-tracing-active": "mandatory",
      "cloudwatch-log-group-retention": { minRetentionDays: 365 },
    });
    assert.equal(config["rds-no-public-access"].enforcementLevel, "advisory");
    assert.equal(config["lambda-tracing-active"].enforcementLevel, "mandatory");
    assert.deepEqual(config["cloudwatch-log-group-retention"], {
      enforcementLevel: "advisory",
      properties: { minRetentionDays: 365, exemptions: [], allowResourceExemptions: true },
    });
  });

  it("rejects a property of the wrong type, naming the file, the policy and the property", () => {
    rejects(
      { "cloudwatch-log-group-retention": { minRetentionDays: "30" } },
      /cloudwatch-log-group-retention\.minRetentionDays must be an integer, not a string \("30"\)/,
    );
  });

  it("rejects a value out of range", () => {
    rejects(
      { "xray-sampling-rule": { maxFixedRate: 2 } },
      /xray-sampling-rule\.maxFixedRate must be <= 1 \(got 2\)/,
    );
  });

  it("rejects a property the policy does not have", () => {
    rejects(
      { "secretsmanager-secret-rotation": { maxRotationDay: 30 } },
      /secretsmanager-secret-rotation\.maxRotationDay is not allowed \(did you mean "maxRotationDays"\?\)/,
    );
  });

  it("rejects an exemption without a reason", () => {
    rejects(
      { "rds-no-public-access": { exemptions: [{ resource: "db" }] } },
      /rds-no-public-access\.exemptions\[0\]\.reason is required/,
    );
  });

  it("rejects an exemption without an expiry, or with a day the calendar does not have", () => {
    const exemption = { resource: "db", reason: "vendor agent connects from outside" };
    rejects(
      { "rds-no-public-access": { exemptions: [exemption] } },
      /rds-no-public-access\.exemptions\[0\]\.expires is required/,
    );
    for (const expires of ["2027-02-30", "2027-13-01", "31/03/2027"]) {
      rejects(
        {
          "rds-no-public-access": {
            exemptions: [
              { ...exemption, expires: "2027-03-31" },
              { ...exemption, expires },
            ],
          },
        },
        new RegExp(
          `^policies/config/test\\.json: invalid policy config:\n {2}- rds-no-public-access\\.exemptions\\[1\\]\\.expires: "${expires.replace(/\//g, "\\/")}" is not a calendar date; write the last day the exemption holds as YYYY-MM-DD \\(UTC\\), e\\.g\\. "2027-03-31"$`,
        ),
      );
    }
  });

  it("takes an owner on an exemption, and still an entry without one", () => {
    const exemption = { resource: "db", reason: "vendor agent connects", expires: "2027-03-31" };
    const config = reconcile({
      "rds-no-public-access": {
        exemptions: [{ ...exemption, owner: "jane@example.com" }, exemption],
      },
    });
    assert.deepEqual(config["rds-no-public-access"].properties.exemptions, [
      { ...exemption, owner: "jane@example.com" },
      exemption,
    ]);
  });

  it("rejects a blank owner or one that is not a string, naming the entry and the fix", () => {
    const exemption = { resource: "db", reason: "vendor agent connects", expires: "2027-03-31" };
    for (const owner of ["", "   "]) {
      rejects(
        { "rds-no-public-access": { exemptions: [exemption, { ...exemption, owner }] } },
        /^policies\/config\/test\.json: invalid policy config:\n {2}- rds-no-public-access\.exemptions\[1\]\.owner is blank; name the team or person who owns the exemption, e\.g\. "platform-team" or "jane@example\.com"$/,
      );
    }
    rejects(
      { "rds-no-public-access": { exemptions: [{ ...exemption, owner: ["platform-team"] }] } },
      /rds-no-public-access\.exemptions\[0\]\.owner must be a string, not an array/,
    );
    rejects(
      { "rds-no-public-access": { exemptions: [{ ...exemption, ownr: "platform-team" }] } },
      /rds-no-public-access\.exemptions\[0\]\.ownr is not allowed \(did you mean "owner"\?\)/,
    );
  });

  it("accepts an expired exemption: the pack judges the resource again and says why", () => {
    const config = reconcile({
      "rds-no-public-access": {
        exemptions: [{ resource: "db", reason: "vendor agent connects", expires: "2020-01-31" }],
        allowResourceExemptions: false,
      },
    });
    assert.equal(config["rds-no-public-access"].properties.allowResourceExemptions, false);
  });

  it("rejects a policy the pack does not have, suggesting the closest name", () => {
    rejects(
      { "lambda-tracing-activ": "advisory" },
      /"lambda-tracing-activ" is not a policy of this pack \(did you mean "lambda-tracing-active"\?\)/,
    );
  });

  it("rejects an unknown enforcement level", () => {
    rejects(
      { all: "strict" },
      /all: "strict" is not an enforcement level \(use one of advisory, mandatory, remediate, disabled\)/,
    );
    rejects(
      { "lambda-tracing-active": { enforcementLevel: "warn" } },
      /lambda-tracing-active\.enforcementLevel: "warn" is not an enforcement level/,
    );
  });

  it("reads files: a missing file, bad JSON and a non-object are clear errors", () => {
    const dir = tempDir("policy-config-");
    try {
      assert.throws(
        () => readPolicyConfigFile(path.join(dir, "nope.json"), "nope.json"),
        /nope\.json: cannot read the policy config file/,
      );
      fs.writeFileSync(path.join(dir, "bad.json"), "{ all: mandatory }");
      assert.throws(
        () => readPolicyConfigFile(path.join(dir, "bad.json"), "bad.json"),
        /bad\.json: not valid JSON/,
      );
      fs.writeFileSync(path.join(dir, "list.json"), "[]");
      assert.throws(
        () => readPolicyConfigFile(path.join(dir, "list.json"), "list.json"),
        /must be a JSON object/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports every problem at once, each with its policy and property path", () => {
    rejects(
      {
        "xray-sampling-rule": { maxFixedRate: -1 },
        "rds-no-public-access": { exemptions: [{ resource: 3, reason: "legacy" }] },
      },
      /invalid policy config:\n {2}- (?=[\s\S]*xray-sampling-rule\.maxFixedRate must be >= 0 \(got -1\))(?=[\s\S]*rds-no-public-access\.exemptions\[0\]\.resource must be a string, not a number \(3\))/,
    );
  });

  it("compiles every schema of the pack, its defaults valid, and refuses an unknown keyword", () => {
    const defaults = reconcile(undefined);
    for (const policy of info.getPoliciesList()) {
      const name = policy.getName();
      const properties = policy.getConfigschema()?.getProperties()?.toJavaScript() ?? {};
      const required = policy.getConfigschema()?.getRequiredList() ?? [];
      const validate = compilePolicySchema(name, properties as never, required);
      assert.deepEqual(policyConfigProblems(name, validate, defaults[name]!.properties), []);
    }
    assert.throws(
      () => compilePolicySchema("p", { x: { type: "integer", minimun: 1 } }, []),
      /policy p: its config schema is invalid: .*minimun/,
    );
    const validate = compilePolicySchema(
      "p",
      { v: { type: "array", items: { type: "integer" } } },
      [],
    );
    assert.deepEqual(policyConfigProblems("p", validate, { v: [1, "a"] }), [
      'p.v[1] must be an integer, not a string ("a")',
    ]);
    assert.deepEqual(policyConfigProblems("p", validate, { v: [1, 2] }), []);
  });
});
