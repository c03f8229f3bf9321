import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../tools/preview/cli";
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
  stack: string;
  resources: Array<{
    type: string;
    name: string;
    parent: string | null;
    inputs: Record<string, unknown>;
  }>;
}

describe("npm run preview (the program's side)", () => {
  it("--stack prod --json lists what the issue's done-when names", async () => {
    const result = await preview("--stack", "prod", "--json");
    assert.equal(result.code, 0, result.err);
    const doc = JSON.parse(result.out) as PreviewDocument;
    assert.equal(doc.stack, "prod");
    const of = (type: string) => doc.resources.filter((r) => r.type === type);

    const groups = of("aws:cloudwatch/logGroup:LogGroup");
    for (const fn of of("aws:lambda/function:Function")) {
      const group = groups.find((g) => g.inputs.name === `/aws/lambda/${String(fn.inputs.name)}`);
      assert.equal(group?.inputs.retentionInDays, 30);
      assert.deepEqual(fn.inputs.tracingConfig, { mode: "Active" });
    }
    assert.ok(
      groups.some(
        (g) => String(g.inputs.name).endsWith("/access") && g.inputs.retentionInDays === 30,
      ),
    );
    assert.equal(of("aws:xray/samplingRule:SamplingRule")[0]?.inputs.fixedRate, 0.1);
    assert.ok(of("aws:sqs/queue:Queue")[0]?.inputs.kmsMasterKeyId);
    // The data key's ARN: unknown until the key exists, as in `pulumi preview` on a new stack.
    assert.equal(of("aws:sns/topic:Topic")[0]?.inputs.kmsMasterKeyId, "[unknown]");
    const alarms = of("aws:cloudwatch/metricAlarm:MetricAlarm");
    assert.ok(
      alarms.some((a) =>
        JSON.stringify(a.inputs.metricQueries ?? []).includes(
          "IF(invocations > 0, 100 * errors / invocations, 0)",
        ),
      ),
      "a metric-math error-rate alarm",
    );
    assert.ok(
      alarms.some((a) => a.inputs.extendedStatistic === "p95" && a.inputs.threshold === 500),
    );
  });

  it("--stack staging prints the tree by parent and one Pulumi-style summary line", async () => {
    const result = await preview("--stack", "staging");
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^\+ pulumi:pulumi:Stack\s+huntaze-api-staging$/m);
    assert.match(result.out, /^ {2}\+ huntaze:aws:Function\s+api$/m);
    // The same type token as --json, the policy report and SARIF.
    assert.match(result.out, /^ {4}\+ aws:lambda\/function:Function\s+api-function$/m);
    const tree = result.out.split("\n").filter((l) => /^\s*\+ /.test(l)).length;
    // One count everywhere: the tree's lines (stack included) + the default aws provider.
    const summary =
      /^Resources: \+ (\d+) to create \((\d+) declared by the program, the stack, the default aws provider\)$/m.exec(
        result.out,
      );
    assert.ok(summary, result.out.slice(-3000));
    assert.equal(Number(summary[1]), tree + 1);
    assert.equal(Number(summary[2]), tree - 1);
    assert.match(result.out, new RegExp(`over ${summary[1]} resources`));
    assert.doesNotMatch(result.out, /Resources by type/);
    // Long lists wrap within 100 columns.
    for (const line of result.out.split("\n")) {
      if (line.includes("alarmNames") || line.startsWith("               huntaze-api-staging"))
        assert.ok(line.length <= 100, line);
    }
  });

  it("exits 2 with one line, no stack trace, when the program throws after declaring resources", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-program-"));
    const program = path.join(dir, "throws.ts");
    fs.writeFileSync(
      program,
      [
        'import { Topic } from "@pulumi/aws/sns";',
        'new Topic("declared-first", {});',
        'throw new Error("boom after resources");',
        "",
      ].join("\n"),
    );
    try {
      // A child process: what fails here is the process (an unhandled rejection crashing Node
      // with exit 1), which mocha's own handlers would hide in-process.
      const result = spawnSync(
        process.execPath,
        ["tools/bin/ts-run.js", "tools/preview/cli.ts", "--stack", "prod", "--program", program],
        { cwd: PROJECT_ROOT, encoding: "utf8" },
      );
      assert.equal(result.status, 2, result.stderr);
      // One error, at the TypeScript line that threw (not the transformed JavaScript's), with
      // its code frame, and no stack trace without --verbose.
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(
        lines[0],
        `error: the program failed: boom after resources (at ${program}:3:7)`,
        result.stderr,
      );
      assert.match(result.stderr, /^> 3 \| throw new Error\("boom after resources"\);$/m);
      assert.doesNotMatch(result.stderr, /^\s+at /m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("with a stack file holding bad config", () => {
    const stack = `test-bad-config-${process.pid}`;
    const file = path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);

    before(() => {
      fs.writeFileSync(
        file,
        [
          "config:",
          "  aws:region: us-east-1",
          "  huntaze-api:stage: staging",
          "  huntaze-api:alertEmails: [ops@huntaze.example]",
          "  huntaze-api:samplingRate: 1.5",
          "  huntaze-api:database: { instanceClass: db.t4g.micro }",
          "",
        ].join("\n"),
      );
    });

    after(() => {
      fs.rmSync(file, { force: true });
    });

    it("exits 2 with one line naming the key, the stack file and the expected form", async () => {
      const result = await preview("--stack", stack);
      assert.equal(result.code, 2);
      assert.equal(
        result.err,
        // A config error, worded as one: the program never declared a resource.
        `error: stack config: huntaze-api:samplingRate must be a number in [0, 1] (Pulumi.${stack}.yaml)`,
      );
      assert.equal(result.out, "");
    });
  });
});
