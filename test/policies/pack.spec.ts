import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import { load as parseYaml } from "js-yaml";
import { packDescription, packEnforcementLevel, packName, policies } from "../../policies/src/pack";
import { loadInProcessAnalyzer } from "../../tools/policy/analyzer";
import { readPolicyConfigFile, reconcilePolicyConfig } from "../../tools/policy/config";
import { projectPack } from "../../tools/policy/evaluate";

const POLICIES_DIR = path.resolve(__dirname, "..", "..", "policies");
const POLICY_DOC = fs.readFileSync(
  path.resolve(__dirname, "..", "..", "docs", "POLICIES.md"),
  "utf8",
);

/** Peer rule ids the descriptions name (reference table A), or an explicit "no peer rule". */
const PEER_RULE =
  /CKV2?_AWS_\d+|AwsSolutions-\w+|Serverless-\w+|cdk-nag \w+|AWS Config [\w-]+|awsguard [\w-]+|AWS recommended alarms|no peer rule|no Checkov or cdk-nag equivalent/;

describe("the huntaze-api policy pack", () => {
  it("names every policy in kebab-case, once, never the reserved 'all'", () => {
    const names = policies.map((p) => p.name);
    assert.deepEqual(
      names.filter((n) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(n)),
      [],
    );
    assert.equal(new Set(names).size, names.length);
    assert.ok(!names.includes("all"));
  });

  it("describes every policy in one sentence that names the peer rule it mirrors", () => {
    for (const p of policies) {
      assert.match(p.description, /^[A-Z].*\.$/, `${p.name}: one sentence ending in a full stop`);
      assert.equal(p.description.match(/\. [A-Z]/g), null, `${p.name}: a single sentence`);
      assert.match(p.description, PEER_RULE, `${p.name}: names a peer rule`);
    }
  });

  it("gives every policy a config schema whose properties all have defaults, with exemptions", () => {
    for (const p of policies) {
      const props = p.configSchema?.properties ?? {};
      assert.ok("exemptions" in props, `${p.name} accepts exemptions`);
      for (const [key, schema] of Object.entries(props)) {
        assert.notEqual(schema.default, undefined, `${p.name}.${key} has a default`);
        assert.ok(key !== "enforcementLevel", "enforcementLevel is the engine's, not a property");
      }
    }
  });

  it("is mandatory by default, except the advisory checks where the project deliberately differs", () => {
    assert.equal(packEnforcementLevel, "mandatory");
    const overridden = policies.filter((p) => p.enforcementLevel !== undefined);
    assert.deepEqual(
      overridden.map((p) => [p.name, p.enforcementLevel]),
      [
        ["xray-sampling-rule", "advisory"],
        ["lambda-code-signing", "advisory"],
        ["cloudwatch-log-group-long-retention", "advisory"],
        ["rds-non-default-port", "advisory"],
      ],
    );
    for (const p of overridden) {
      assert.match(p.description, /advisory/, `${p.name} says why it is advisory`);
    }
  });

  it("passes the library's own pack checks (name, reserved names, schemas)", async () => {
    const analyzer = loadInProcessAnalyzer(projectPack());
    const info = await analyzer.getAnalyzerInfo();
    assert.equal(info.getName(), packName);
    assert.equal(info.getPoliciesList().length, policies.length);
  });

  it("has a PulumiPolicy.yaml and a versioned package.json the CLI can load", () => {
    const project = parseYaml(
      fs.readFileSync(path.join(POLICIES_DIR, "PulumiPolicy.yaml"), "utf8"),
    ) as { runtime?: unknown };
    assert.equal(project.runtime, "nodejs");
    const pkg = JSON.parse(fs.readFileSync(path.join(POLICIES_DIR, "package.json"), "utf8"));
    assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
    assert.equal(pkg.main, "index.ts");
    for (const dep of ["@pulumi/policy", "@pulumi/pulumi", "@pulumi/aws"]) {
      assert.match(pkg.dependencies[dep] ?? "", /^\d+\.\d+\.\d+$/, `${dep} is pinned`);
    }
    assert.ok(fs.existsSync(path.join(POLICIES_DIR, "tsconfig.json")));
  });

  it("serves exactly src/pack.ts from index.ts, the entry point the CLI runs", () => {
    // Run index.ts with @pulumi/policy's PolicyPack replaced by a recorder: the real one would
    // start a gRPC server and wait for the engine.
    const entry = require.resolve(path.join(POLICIES_DIR, "index.ts"));
    const constructed: Array<{ name: string; args: Record<string, unknown> }> = [];
    class RecordingPack {
      constructor(name: string, args: Record<string, unknown>) {
        constructed.push({ name, args });
      }
    }
    const loader = Module as unknown as {
      _load(request: string, parent: { filename?: string } | undefined, isMain: boolean): unknown;
    };
    const load = loader._load;
    loader._load = function (request, parent, isMain) {
      if (request === "@pulumi/policy" && parent?.filename === entry) {
        return { PolicyPack: RecordingPack };
      }
      return load.call(this, request, parent, isMain);
    };
    try {
      require(entry);
    } finally {
      loader._load = load;
      delete require.cache[entry];
    }
    assert.equal(constructed.length, 1);
    const [pack] = constructed;
    assert.equal(pack?.name, packName);
    // By name: other specs may have loaded src/pack.ts afresh, so identity is not guaranteed.
    assert.deepEqual(
      ((pack?.args.policies ?? []) as typeof policies).map((p) => p.name),
      policies.map((p) => p.name),
    );
    assert.equal(pack?.args.enforcementLevel, packEnforcementLevel);
    assert.equal(pack?.args.description, packDescription);
  });

  it("documents every policy in docs/POLICIES.md, and maps each of the 38 peer checks", () => {
    for (const p of policies) {
      assert.ok(POLICY_DOC.includes(`\`${p.name}\``), `docs/POLICIES.md lists ${p.name}`);
    }
    const rows = [...POLICY_DOC.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    assert.deepEqual(
      rows,
      Array.from({ length: 38 }, (_, i) => i + 1),
      "one row per peer check",
    );
  });
});

describe("the stack policy configs", () => {
  for (const stack of ["prod", "staging"]) {
    it(`accepts policies/config/${stack}.json against the pack's schemas`, async () => {
      const info = await loadInProcessAnalyzer(projectPack()).getAnalyzerInfo();
      const file = path.join(POLICIES_DIR, "config", `${stack}.json`);
      const config = reconcilePolicyConfig(info, readPolicyConfigFile(file), file);
      assert.equal(config["cloudwatch-log-group-retention"].properties.minRetentionDays, 30);
      assert.equal(config["secretsmanager-secret-rotation"].properties.maxRotationDays, 30);
      assert.equal(config["lambda-tracing-active"].enforcementLevel, "mandatory");
      assert.equal(config["xray-sampling-rule"].enforcementLevel, "advisory");
    });
  }

  it("requires RDS deletion protection and 10 % sampling in prod, and relaxes both only in staging", async () => {
    const info = await loadInProcessAnalyzer(projectPack()).getAnalyzerInfo();
    const load = (stack: string) => {
      const file = path.join(POLICIES_DIR, "config", `${stack}.json`);
      return reconcilePolicyConfig(info, readPolicyConfigFile(file), file);
    };
    const prod = load("prod");
    const staging = load("staging");
    assert.equal(prod["rds-deletion-protection"].properties.requireDeletionProtection, true);
    assert.equal(staging["rds-deletion-protection"].properties.requireDeletionProtection, false);
    assert.equal(prod["xray-sampling-rule"].properties.maxFixedRate, 0.1);
    assert.deepEqual(prod["rds-no-public-access"].properties.exemptions, []);
  });
});
