import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ToolError } from "../../tools/lib/errors";
import { main } from "../../tools/preview/cli";
import { computedOutputs } from "../../tools/preview/computed";
import { projectMain } from "../../tools/preview/stack-config";
import { PROJECT_ROOT } from "./support";

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function preview(...argv: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

interface PreviewDocument {
  mode: string;
  resources: Array<{ type: string; name: string; inputs: Record<string, unknown> }>;
  outputs: Record<string, unknown>;
  violations: Array<{ policy: string; level: string; cannotRun?: boolean; message: string }>;
  policyPack: { mandatoryViolations: number };
}

/** A throwaway program directory; removed after the test. */
function programDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-fidelity-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const FUNCTION_PROGRAM = (code: string) =>
  [
    'import * as pulumi from "@pulumi/pulumi";',
    'import { Function } from "@pulumi/aws/lambda";',
    'new Function("handler", {',
    '  role: "arn:aws:iam::123456789012:role/x",',
    '  runtime: "nodejs22.x",',
    '  handler: "index.handler",',
    `  code: ${code},`,
    "});",
    "",
  ].join("\n");

describe("the offline preview runs the program as the Pulumi engine does", () => {
  for (const stack of ["prod", "staging"]) {
    it(`${stack}: first-deploy semantics by default, archives from infra/, zero mandatory violations and no policy that cannot run`, async () => {
      const result = await preview("--stack", stack, "--json");
      assert.equal(result.code, 0, result.err);
      const doc = JSON.parse(result.out) as PreviewDocument;
      assert.equal(doc.mode, "first-deploy");
      // Values AWS computes on create are unknown; inputs and auto-names stay known.
      for (const key of ["apiUrl", "dbEndpoint", "dlqArn", "alarmTopicArn"]) {
        assert.equal(doc.outputs[key], "[unknown]", key);
      }
      assert.equal(doc.outputs.apiFunctionName, `huntaze-api-${stack}-api`);
      // The engine resolves archives from the directory of main (infra/): a relative path that
      // is the same on every machine, never an absolute one.
      const functions = doc.resources.filter((r) => r.type === "aws:lambda/function:Function");
      assert.ok(functions.length >= 3);
      for (const fn of functions) {
        const archive = (fn.inputs.code as { archive: string }).archive;
        assert.match(archive, /^\.\.\/\.build\/lambda\/[a-z-]+-[0-9a-f]{16}$/, fn.name);
        assert.ok(fs.statSync(path.join(PROJECT_ROOT, "infra", archive)).isDirectory());
      }
      // A mandatory policy that could not decide would be a silent pass under the real CLI.
      assert.deepEqual(
        doc.violations.filter((v) => v.cannotRun || v.message.startsWith("can't run")),
        [],
      );
      assert.equal(doc.policyPack.mandatoryViolations, 0);
    });
  }

  it("--assume-deployed keeps the deployed view (every output known) and the report says which mode ran", async () => {
    const deployed = await preview("--stack", "prod", "--assume-deployed", "--json");
    assert.equal(deployed.code, 0, deployed.err);
    const doc = JSON.parse(deployed.out) as PreviewDocument;
    assert.equal(doc.mode, "assume-deployed");
    assert.match(
      String(doc.outputs.apiUrl),
      /^https:\/\/.+\.execute-api\.us-east-1\.amazonaws\.com\/v1$/,
    );

    const text = await preview("--stack", "staging");
    assert.match(text.out, /run from infra\/, mock runtime/);
    assert.match(text.out, /^Mode: first deploy/m);
    assert.match(text.out, /^ {2}apiUrl: output<string>$/m);
  });

  it("resolves a --program's archive from the program's own directory, as the engine would", async () => {
    const dir = programDir({
      "index.ts": FUNCTION_PROGRAM('new pulumi.asset.FileArchive("./bundle")'),
      "bundle/index.js": "exports.handler = async () => ({});\n",
    });
    try {
      const result = await preview("--stack", "prod", "--program", path.join(dir, "index.ts"));
      // Resolved from the repository root instead, ./bundle would not exist: exit 2.
      assert.notEqual(result.code, 2, result.err);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails with exit 2 naming the resource, the property and the directory for a missing archive", async () => {
    const dir = programDir({
      "index.ts": FUNCTION_PROGRAM('new pulumi.asset.FileArchive("../.build/lambda/api-0")'),
    });
    try {
      const result = await preview("--stack", "prod", "--program", path.join(dir, "index.ts"));
      assert.equal(result.code, 2);
      assert.match(result.err, /aws:lambda\/function:Function "handler", property code/);
      assert.match(result.err, /archive path "\.\.\/\.build\/lambda\/api-0" does not exist/);
      assert.ok(result.err.includes(`resolved from ${dir}`), result.err);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("checks every path inside an AssetArchive, and that a FileAsset is a file", async () => {
    const dir = programDir({
      "index.ts": FUNCTION_PROGRAM(
        'new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.FileAsset("./src"), "lib": new pulumi.asset.FileArchive("./missing.zip") })',
      ),
      "src/index.js": "exports.handler = async () => ({});\n",
    });
    try {
      const result = await preview("--stack", "prod", "--program", path.join(dir, "index.ts"));
      assert.equal(result.code, 2);
      assert.match(result.err, /property code\["index\.js"\]: asset path "\.\/src" is not a file/);
      assert.match(
        result.err,
        /property code\["lib"\]: archive path "\.\/missing\.zip" does not exist/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("still blocks programs that rely on values AWS computes, and passes the same program linked through outputs", async () => {
    const program = (withAlarm: boolean) =>
      [
        'import * as cloudwatch from "@pulumi/aws/cloudwatch";',
        'import * as secretsmanager from "@pulumi/aws/secretsmanager";',
        'import * as sns from "@pulumi/aws/sns";',
        'import * as sqs from "@pulumi/aws/sqs";',
        'const topic = new sns.Topic("alerts", {});',
        'const dlq = new sqs.Queue("jobs-dlq", {});',
        'new sqs.Queue("jobs", { redrivePolicy: dlq.arn.apply((arn) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 5 })) });',
        withAlarm
          ? 'new cloudwatch.MetricAlarm("dlq-depth", { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: dlq.name }, statistic: "Maximum", period: 60, evaluationPeriods: 1, threshold: 0, comparisonOperator: "GreaterThanThreshold", alarmActions: [topic.arn] });'
          : "",
        'const secret = new secretsmanager.Secret("app", {});',
        `new secretsmanager.SecretRotation("app-rotation", { secretId: secret.id, rotationLambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:rotator", rotationRules: { automaticallyAfterDays: ${withAlarm ? 30 : 400} } });`,
        "",
      ].join("\n");
    for (const compliant of [false, true]) {
      const dir = programDir({ "index.ts": program(compliant) });
      try {
        const result = await preview(
          "--stack",
          "prod",
          "--json",
          "--program",
          path.join(dir, "index.ts"),
        );
        const doc = JSON.parse(result.out) as PreviewDocument;
        const of = (policy: string) => doc.violations.filter((v) => v.policy === policy);
        assert.deepEqual(
          doc.violations.filter((v) => v.cannotRun),
          [],
          "every policy decided at preview",
        );
        if (compliant) {
          assert.deepEqual(of("dlq-depth-alarm"), []);
          assert.deepEqual(of("secretsmanager-secret-rotation"), []);
        } else {
          assert.match(
            of("dlq-depth-alarm")[0]?.message ?? "",
            /Dead-letter queue "jobs-dlq" must have a depth alarm/,
          );
          assert.match(
            of("secretsmanager-secret-rotation")[0]?.message ?? "",
            /must rotate at least every 30 days \(it allows 400\)/,
          );
          assert.equal(of("dlq-depth-alarm")[0]?.level, "mandatory");
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it("reads main from Pulumi.yaml the way the engine does: a file runs from its directory, a directory from itself", () => {
    assert.deepEqual(projectMain(PROJECT_ROOT), {
      program: path.join(PROJECT_ROOT, "infra", "index.ts"),
      workDir: path.join(PROJECT_ROOT, "infra"),
    });
    const dir = programDir({ "Pulumi.yaml": "name: p\nmain: src/\n", "src/index.ts": "" });
    try {
      assert.deepEqual(projectMain(dir), {
        program: path.join(dir, "src"),
        workDir: path.join(dir, "src"),
      });
      fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: p\nmain: app/index.ts\n");
      assert.throws(
        () => projectMain(dir),
        (err: unknown) => err instanceof ToolError && err.kind === "stack-config",
      );
      assert.throws(() => projectMain(dir), /main "app\/index\.ts" does not exist/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("derives computed outputs from the @pulumi/aws classes: output-only properties and inputs the provider fills in", () => {
    const queue = computedOutputs("aws:sqs/queue:Queue");
    for (const p of ["arn", "url", "tagsAll"]) assert.ok(queue.outputOnly.has(p), p);
    assert.ok(queue.computedInputs.has("redrivePolicy"));
    assert.ok(!queue.computedInputs.has("kmsMasterKeyId"), "optional, not computed");
    assert.ok(!queue.outputOnly.has("kmsMasterKeyId"));
    assert.ok(
      computedOutputs("aws:secretsmanager/secretRotation:SecretRotation").computedInputs.has(
        "rotationEnabled",
      ),
    );
    assert.ok(computedOutputs("aws:rds/instance:Instance").outputOnly.has("endpoint"));
    assert.equal(computedOutputs("huntaze:aws:Function").outputOnly.size, 0, "components");
  });
});
