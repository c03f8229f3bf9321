import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv from "ajv-draft-04";
import { main } from "../../tools/preview/cli";

const FIXTURES = path.resolve(__dirname, "..", "fixtures", "sarif");
// The OASIS SARIF 2.1.0 schema (sarif-2.1.0-rtm.5, the final one), as schemastore and
// GitHub code scanning use it; it is a draft-04 JSON schema.
const SCHEMA = JSON.parse(fs.readFileSync(path.join(FIXTURES, "sarif-2.1.0-rtm.5.json"), "utf8"));

interface SarifLog {
  version: string;
  runs: Array<{
    tool: {
      driver: {
        rules: Array<{
          id: string;
          fullDescription: { text: string };
          properties: { peerIds: string[] };
        }>;
      };
    };
    results: Array<{
      ruleId: string;
      level: string;
      message: { text: string };
      locations: Array<{
        physicalLocation?: {
          artifactLocation: { uri: string };
          region: { startLine: number; startColumn: number };
        };
        logicalLocations: Array<{ fullyQualifiedName: string }>;
      }>;
    }>;
  }>;
}

async function sarifOf(...argv: string[]): Promise<{ code: number; log: SarifLog }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-sarif-"));
  try {
    const file = path.join(dir, "policy.sarif");
    const code = await main([...argv, "--sarif", file], { out: () => {}, err: () => {} });
    const log = JSON.parse(fs.readFileSync(file, "utf8")) as SarifLog;
    // unicodeRegExp: false — the schema's `language` pattern has a stray "]" that JavaScript's
    // unicode mode rejects (without it, as in the schema's own draft-04 validators, it compiles).
    const validate = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false }).compile(
      SCHEMA,
    );
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
    return { code, log };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("npm run preview -- --sarif <file>", () => {
  it("a violation points at the line of the program that declared the resource", async () => {
    const program = path.join(FIXTURES, "unencrypted-queue.ts");
    const { code, log } = await sarifOf("--stack", "prod", "--program", program);
    assert.equal(code, 1);
    const [run] = log.runs;
    assert.equal(log.version, "2.1.0");
    // The fixture's one queue is unencrypted (and, being no DLQ, lacks a redrive policy too).
    const results = (run?.results ?? []).filter((r) => r.ruleId === "sqs-queue-encryption");
    assert.equal(results.length, 1, JSON.stringify(run?.results, null, 2));
    const [result] = results;
    assert.equal(result?.ruleId, "sqs-queue-encryption");
    assert.equal(result?.level, "error");
    assert.match(result?.message.text ?? "", /^SQS queue must be encrypted/);
    const lines = fs.readFileSync(program, "utf8").split("\n");
    const declared = lines.findIndex((l) => l.includes('new Queue("plain-queue"')) + 1;
    const physical = result?.locations[0]?.physicalLocation;
    assert.equal(physical?.artifactLocation.uri, "test/fixtures/sarif/unencrypted-queue.ts");
    assert.equal(physical?.region.startLine, declared);
    assert.equal(
      physical?.region.startColumn,
      (lines[declared - 1]?.indexOf("new Queue") ?? 0) + 1,
    );
    assert.match(
      result?.locations[0]?.logicalLocations[0]?.fullyQualifiedName ?? "",
      /::aws:sqs\/queue:Queue::plain-queue$/,
    );
  });

  it("the stack's report has one rule per policy with its description and peer ids", async () => {
    const { code, log } = await sarifOf("--stack", "prod");
    assert.equal(code, 0);
    const rules = log.runs[0]?.tool.driver.rules ?? [];
    const retention = rules.find((r) => r.id === "cloudwatch-log-group-retention");
    assert.match(retention?.fullDescription.text ?? "", /CKV_AWS_66/);
    assert.ok(retention?.properties.peerIds.includes("CKV_AWS_66"));
    assert.equal(new Set(rules.map((r) => r.id)).size, rules.length);
    // The stack passes: its only findings are the advisory policies' (SARIF level "warning").
    const levels = new Set((log.runs[0]?.results ?? []).map((r) => r.level));
    assert.ok(!levels.has("error"), [...levels].join(", "));
  });
});
