import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { main } from "../../tools/preview/cli";
import { tempDir } from "../support/temp";

const ROOT = path.resolve(__dirname, "..", "..");
const FIXTURES = path.join(ROOT, "test", "fixtures", "policy");

async function preview(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

interface PreviewJson {
  violations: Array<{ policy: string; level: string; resource: string; message: string }>;
  policyPack: {
    name: string;
    policies: Array<{ name: string; level: string; checked: number }>;
    mandatoryViolations: number;
  };
}

/** The bad fixtures and the one policy each must trip. */
/** Fixture → the policies it must trip, and only those (two when one flaw breaks two rules). */
const BAD_FIXTURES: Record<string, string | string[]> = {
  "log-retention-unset": "cloudwatch-log-group-retention",
  "function-without-log-group": "lambda-managed-log-group",
  "function-without-error-alarm": "lambda-error-alarm",
  "alarm-without-actions": "cloudwatch-alarm-actions",
  "secret-on-aws-managed-key": "secretsmanager-secret-cmk",
  "secret-not-rotated": "secretsmanager-secret-rotation",
  "password-in-environment": "lambda-environment-no-secrets",
  "public-database": "rds-no-public-access",
  "untraced-function": "lambda-tracing-active",
  "alarm-topic-on-aws-managed-key": "alarm-topic-cmk",
  "rds-log-groups-unmanaged": "rds-log-groups-managed",
  "connections-exceed-database": "lambda-db-connection-budget",
  "function-without-dead-letter-queue": "lambda-dead-letter-queue",
  "function-without-failure-destination": "lambda-async-failure-destination",
  // Unbounded runtimes that reach a database are also a connection-budget breach.
  "function-without-concurrency-limit": ["lambda-concurrency-limit", "lambda-db-connection-budget"],
  "function-outside-vpc": "lambda-in-vpc",
  "function-on-deprecated-runtime": "lambda-runtime-current",
  "function-with-default-limits": "lambda-explicit-limits",
  "unscoped-invoke-permission": "lambda-not-public",
  "log-group-not-encrypted": "cloudwatch-log-group-cmk",
  "queue-without-redrive": "sqs-queue-redrive",
  "database-without-backups": "rds-backups",
  "database-without-iam-auth": "rds-iam-authentication",
  "database-single-az": "rds-multi-az",
  "database-missing-log-export": "rds-log-exports",
  "database-without-enhanced-monitoring": "rds-enhanced-monitoring",
  "database-without-minor-upgrades": "rds-auto-minor-version-upgrade",
  "untraced-api-stage": "api-stage-xray",
  "api-execution-logging-off": "api-execution-logging",
  "api-default-throttling": "api-throttling",
  "key-not-rotated": "kms-key-rotation",
  "unauthorized-method": "api-method-authorization",
  "stage-without-waf": "api-stage-waf",
  "self-sign-up-pool": "cognito-user-pool-hardening",
};

describe("npm run preview with the policy pack", () => {
  for (const stack of ["prod", "staging"]) {
    it(`passes the real ${stack} stack with zero mandatory violations and lists the policies evaluated`, async () => {
      const { code, out, err } = await preview("--stack", stack);
      assert.equal(code, 0, `${out}\n${err}`);
      assert.match(
        out,
        new RegExp(
          `Policy pack huntaze-api@\\d+\\.\\d+\\.\\d+ — config: policies/config/${stack}\\.json`,
        ),
      );
      assert.match(out, /Policies evaluated: 50 of 50 over \d+ resources/);
      assert.match(out, /lambda-tracing-active\s+mandatory\s+pass \(\d+ resources?\)/);
      assert.match(out, /Policy summary: no mandatory violations/);
    });
  }

  it("adds the violations and the policies evaluated to --json", async () => {
    const { code, out } = await preview("--stack", "prod", "--json");
    assert.equal(code, 0);
    const doc = JSON.parse(out) as PreviewJson;
    assert.deepEqual(
      doc.violations.filter((v) => v.level === "mandatory"),
      [],
    );
    assert.equal(doc.policyPack.name, "huntaze-api");
    assert.equal(doc.policyPack.policies.length, 50);
    assert.equal(doc.policyPack.mandatoryViolations, 0);
  });

  it("exits 0 for the compliant fixture, which every policy judges", async () => {
    const { code, out } = await preview(
      "--stack",
      "prod",
      "--json",
      "--program",
      path.join(FIXTURES, "compliant.ts"),
    );
    assert.equal(code, 0, out);
    const doc = JSON.parse(out) as PreviewJson;
    assert.deepEqual(doc.violations, []);
    const idle = doc.policyPack.policies.filter((p) => p.checked === 0).map((p) => p.name);
    assert.deepEqual(idle, [], "every policy applies to something in the compliant fixture");
  });

  for (const [fixture, policy] of Object.entries(BAD_FIXTURES)) {
    it(`exits 1 for ${fixture}, naming ${policy} and nothing else`, async () => {
      const { code, out } = await preview(
        "--stack",
        "prod",
        "--program",
        path.join(FIXTURES, `${fixture}.ts`),
      );
      assert.equal(code, 1, out);
      const reported = [...out.matchAll(/^ {2}\[mandatory\] (\S+)/gm)].map((m) => m[1]);
      assert.deepEqual([...new Set(reported)].sort(), [policy].flat().sort());
      assert.match(
        out,
        /Policy summary: \d+ mandatory violations?, \d+ advisory — the deploy would be blocked\./,
      );
    });
  }

  it("reports each violation with its policy, level, resource and message in --json", async () => {
    const { code, out } = await preview(
      "--stack",
      "prod",
      "--json",
      "--program",
      path.join(FIXTURES, "public-database.ts"),
    );
    assert.equal(code, 1);
    const doc = JSON.parse(out) as PreviewJson;
    assert.deepEqual(doc.violations, [
      {
        policy: "rds-no-public-access",
        level: "mandatory",
        resource: "urn:pulumi:prod::huntaze-api::aws:rds/instance:Instance::db",
        message:
          "RDS instance must not be publicly accessible (publiclyAccessible: true); reach it from inside the VPC (RDS Proxy or the functions' security group), or add an exemption with its reason to the policy config.",
      },
    ]);
  });

  describe("--policy-config", () => {
    let dir: string;
    beforeEach(() => {
      dir = tempDir("policy-config-");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const write = (name: string, doc: unknown) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, typeof doc === "string" ? doc : JSON.stringify(doc));
      return file;
    };

    it("overrides the stack's policy config, and its settings reach the policies", async () => {
      const file = write("strict.json", {
        all: "mandatory",
        "cloudwatch-log-group-retention": { minRetentionDays: 400 },
      });
      const { code, out } = await preview(
        "--stack",
        "prod",
        "--program",
        path.join(FIXTURES, "compliant.ts"),
        "--policy-config",
        file,
      );
      assert.equal(code, 1, out);
      assert.match(out, /\[mandatory\] cloudwatch-log-group-retention/);
      assert.match(out, /must keep logs for at least 400 days \(retentionInDays is 365\)/);
    });

    it("can make a policy advisory: the preview then exits 0", async () => {
      const file = write("advisory.json", {
        "lambda-tracing-active": "advisory",
        // The fixture's health route is public on purpose; a config file must say so.
        "api-method-authorization": {
          publicRoutes: [{ route: "GET /health", reason: "health checks carry no credentials" }],
        },
      });
      const { code, out } = await preview(
        "--stack",
        "prod",
        "--program",
        path.join(FIXTURES, "untraced-function.ts"),
        "--policy-config",
        file,
      );
      assert.equal(code, 0, out);
      assert.match(out, /\[advisory\] lambda-tracing-active/);
    });

    it("exits 2 on a bad setting, naming the file, the policy and the property", async () => {
      const file = write("bad.json", {
        "secretsmanager-secret-rotation": { maxRotationDays: "thirty" },
      });
      const { code, err } = await preview("--stack", "prod", "--policy-config", file);
      assert.equal(code, 2);
      assert.match(err, /bad\.json: invalid policy config:/);
      assert.match(
        err,
        /secretsmanager-secret-rotation\.maxRotationDays must be an integer, not a string \("thirty"\)/,
      );
    });

    it("exits 2 on a file that does not exist or is not JSON", async () => {
      const missing = await preview(
        "--stack",
        "prod",
        "--policy-config",
        path.join(dir, "missing.json"),
      );
      assert.equal(missing.code, 2);
      assert.match(missing.err, /missing\.json: cannot read the policy config file/);
      const broken = await preview("--stack", "prod", "--policy-config", write("broken.json", "{"));
      assert.equal(broken.code, 2);
      assert.match(broken.err, /broken\.json: not valid JSON/);
    });
  });
});
