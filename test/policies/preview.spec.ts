import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../tools/preview/cli";

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
const BAD_FIXTURES: Record<string, string> = {
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
      assert.match(out, /Policies evaluated: 27 of 27 over \d+ resources/);
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
    assert.equal(doc.policyPack.policies.length, 27);
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
      assert.deepEqual([...new Set(reported)], [policy]);
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
          "RDS instance must not be publicly accessible (publiclyAccessible: true); if Prisma Accelerate needs it, add an exemption with its reason to the policy config.",
      },
    ]);
  });

  describe("--policy-config", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-"));
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
        "cloudwatch-log-group-retention": { minRetentionDays: 365 },
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
      assert.match(out, /must keep logs for at least 365 days \(retentionInDays is 30\)/);
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
