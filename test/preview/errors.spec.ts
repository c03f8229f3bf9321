import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../tools/preview/cli";
import { PROJECT_ROOT } from "../infra/support";

async function preview(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("preview errors a user can act on without --verbose", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-errors-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function program(name: string, lines: string[]): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
  }

  it("a syntax error: file:line:column, the message and the code frame", async () => {
    const file = program("syntax.ts", [
      'import { Topic } from "@pulumi/aws/sns";',
      "",
      'new Topic("t", {',
      '  displayName: "a",,',
      "});",
    ]);
    const result = await preview("--stack", "prod", "--program", file);
    assert.equal(result.code, 2);
    const [first, ...frame] = result.err.split("\n");
    assert.equal(
      first,
      `error: the program does not compile: syntax error: ${file}:4:20: Expected identifier but found ","`,
    );
    assert.deepEqual(frame.slice(2, 4), [
      '> 4 |   displayName: "a",,',
      "    |                    ^",
    ]);
  });

  it("--typecheck: a type error fails with exit 2 at its line, before the program runs", async () => {
    const file = program("types.ts", [
      'import { Topic } from "@pulumi/aws/sns";',
      'const retries: number = "three";',
      'new Topic("t", { displayName: String(retries) });',
    ]);
    const plain = await preview("--stack", "prod", "--program", file);
    assert.equal(plain.code, 0, "the transpiling loader alone does not see it");
    const result = await preview("--stack", "prod", "--program", file, "--typecheck");
    assert.equal(result.code, 2);
    assert.match(
      result.err,
      new RegExp(
        `^error: the program does not compile: 1 type error; first: ${file}:2:7: Type 'string' is not assignable to type 'number'\\.$`,
        "m",
      ),
    );
    assert.match(result.err, /^2 const retries: number = "three";$/m);
  });

  it("under --json the error is a JSON document with its kind and location", async () => {
    const file = program("syntax.ts", ["const x = ;"]);
    const result = await preview("--stack", "prod", "--program", file, "--json");
    assert.equal(result.code, 2);
    assert.equal(result.err, "");
    const doc = JSON.parse(result.out) as {
      schemaVersion: number;
      error: { kind: string; location: { file: string; line: number; column: number } };
    };
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.error.kind, "compile");
    assert.deepEqual(doc.error.location, { file, line: 1, column: 11 });
  });

  it("--json-file works through npm's banner on stdout", () => {
    const file = program("empty.ts", ["export const answer = 42;"]);
    const json = path.join(dir, "preview.json");
    const result = spawnSync(
      "npm",
      ["run", "preview", "--", "--stack", "prod", "--program", file, "--json-file", json],
      { cwd: PROJECT_ROOT, encoding: "utf8" },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^> huntaze-api@/m, "npm printed its banner");
    const doc = JSON.parse(fs.readFileSync(json, "utf8")) as {
      schemaVersion: number;
      outputs: Record<string, unknown>;
      summary: { resources: number };
    };
    assert.equal(doc.schemaVersion, 1);
    assert.deepEqual(doc.outputs, { answer: 42 });
    assert.equal(doc.summary.resources, 1, "the stack alone");
  });

  describe("config", () => {
    const stack = `test-errors-${process.pid}`;
    const stackFile = path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
    after(() => fs.rmSync(stackFile, { force: true }));

    it("a typo in the project namespace is caught with the key it meant", async () => {
      const prod = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.prod.yaml"), "utf8");
      fs.writeFileSync(
        stackFile,
        prod.replace("huntaze-api:samplingRate: 0.1", "huntaze-apii:samplingRate: 0.5"),
      );
      const result = await preview("--stack", stack);
      assert.equal(result.code, 2);
      assert.equal(
        result.err,
        `error: stack config: huntaze-apii:samplingRate is in namespace "huntaze-apii", not this project's; did you mean huntaze-api:samplingRate? (Pulumi.${stack}.yaml)`,
      );
    });

    it("a policy-config property typo names the property it meant", async () => {
      const config = path.join(dir, "policy.json");
      fs.writeFileSync(
        config,
        JSON.stringify({ "cloudwatch-alarm-actions": { requireOkAction: true } }),
      );
      const result = await preview("--stack", "prod", "--policy-config", config);
      assert.equal(result.code, 2);
      assert.match(result.err, /^error: policy config: /);
      assert.match(
        result.err,
        /requireOkAction is not allowed \(did you mean "requireOkActions"\?\)/,
      );
    });
  });
});
