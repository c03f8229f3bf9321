import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  checkCommandLine,
  checkInlineCode,
  defaultContext,
  SHELL_LANGUAGES,
  shellLines,
  tokenize,
} from "./commands";
import {
  documentationFiles,
  inlineCode,
  links,
  PROJECT_ROOT,
  parseMarkdown,
  readMarkdown,
} from "./markdown";

const ctx = defaultContext();

/** `file:line: command: problem` for every command of every shell block of `file`. */
function blockProblems(file: string): string[] {
  const doc = readMarkdown(file);
  const problems: string[] = [];
  for (const block of doc.blocks) {
    if (!SHELL_LANGUAGES.has(block.lang)) continue;
    for (const { line, text } of shellLines(block.lines, block.lang, block.line)) {
      for (const p of checkCommandLine(text, ctx)) problems.push(`${file}:${line}: ${p}`);
    }
  }
  return problems;
}

describe("commands in the docs and the README", () => {
  for (const file of documentationFiles()) {
    it(`${file}: every command in a shell block is a project script, a project file or a named public tool`, () => {
      assert.deepEqual(blockProblems(file), []);
    });
  }

  it("every `npm run` span and every project path in the prose exists", () => {
    const problems: string[] = [];
    for (const file of documentationFiles()) {
      for (const { line, code } of inlineCode(readMarkdown(file))) {
        for (const p of checkInlineCode(code, ctx)) problems.push(`${file}:${line}: ${p}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("every relative link points at a file that exists, and at a heading it has", () => {
    const problems: string[] = [];
    for (const file of documentationFiles()) {
      const doc = readMarkdown(file);
      for (const { line, target } of links(doc)) {
        if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
        const [filePart, anchor] = target.split("#") as [string, string | undefined];
        const linked = filePart === "" ? file : path.posix.join(path.posix.dirname(file), filePart);
        if (!fs.existsSync(path.join(PROJECT_ROOT, linked))) {
          problems.push(`${file}:${line}: ${target}: ${linked} does not exist`);
          continue;
        }
        if (anchor && linked.endsWith(".md")) {
          const anchors = readMarkdown(linked).headings.map((h) => h.anchor);
          if (!anchors.includes(anchor)) {
            problems.push(`${file}:${line}: ${target}: ${linked} has no heading #${anchor}`);
          }
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("the docs have commands to check: every guide has shell blocks", () => {
    for (const file of documentationFiles().filter((f) => f.startsWith("docs/"))) {
      const shell = readMarkdown(file).blocks.filter((b) => SHELL_LANGUAGES.has(b.lang));
      assert.ok(shell.length > 0, `${file} has no shell block`);
    }
  });
});

describe("the command checker", () => {
  const problemsOf = (line: string) => checkCommandLine(line, ctx);

  it("accepts the project's scripts with arguments their parsers take", () => {
    assert.deepEqual(problemsOf("npm run deploy -- --stack prod --preview-only"), []);
    assert.deepEqual(problemsOf("npm run --silent preview -- --stack prod --cost"), []);
    assert.deepEqual(problemsOf("npm run deploy -- --stack <stack> --latency-target-ms <n>"), []);
    assert.deepEqual(problemsOf("DATABASE_URL=… npm run db:migrate -- status"), []);
    assert.deepEqual(problemsOf("npm test && npm run preview -- --stack staging"), []);
  });

  it("catches a misspelt script, arguments before `--` and options a script does not take", () => {
    assert.match(problemsOf("npm run deplpy -- --stack prod").join("\n"), /no script "deplpy"/);
    assert.match(problemsOf("npm run deploy --stack prod").join("\n"), /must follow `--`/);
    assert.match(problemsOf("npm run deploy -- --stak prod").join("\n"), /--stak/);
    assert.match(problemsOf("npm run preview -- --stack prod --costs").join("\n"), /--costs/);
    assert.match(problemsOf("npm run preview -- --stack qa").join("\n"), /Pulumi\.qa\.yaml/);
  });

  it("catches an unknown tool, subcommand or flag of a named tool", () => {
    assert.match(problemsOf("kubectl apply -f x.yaml").join("\n"), /`kubectl` is not/);
    assert.match(problemsOf("pulumi stak select prod").join("\n"), /unknown subcommand/);
    assert.match(problemsOf("pulumi up --polcy-pack policies").join("\n"), /--polcy-pack/);
    assert.match(problemsOf("aws secretsmanger rotate-secret --secret-id x").join("\n"), /service/);
    assert.match(
      problemsOf("aws secretsmanager rotate-secret --secret-idd x").join("\n"),
      /--secret-idd/,
    );
    assert.match(problemsOf("aws rds wait db-instance-availble").join("\n"), /unknown waiter/);
    assert.match(problemsOf("npx prisma migrate deplyo").join("\n"), /unknown subcommand/);
    assert.match(problemsOf("git reverts HEAD").join("\n"), /git reverts/);
  });

  it("catches a project file that does not exist", () => {
    assert.match(problemsOf("node tools/deploy/nope.ts").join("\n"), /does not exist/);
    assert.match(
      problemsOf(
        "pulumi preview --policy-pack policies --policy-pack-config policies/config/qa.json",
      ).join("\n"),
      /policies\/config\/qa\.json does not exist/,
    );
  });

  it("reads placeholders, quotes, comments, operators and line continuations as a shell would", () => {
    assert.deepEqual(
      tokenize(`pulumi config set huntaze-api:expectedAccountId <12-digit account id> # note`).map(
        (t) => t.value,
      ),
      ["pulumi", "config", "set", "huntaze-api:expectedAccountId", "<12-digit account id>"],
    );
    assert.deepEqual(
      tokenize(`aws logs tail g --filter-pattern '{ $.level = "ERROR" }' | jq .`).map(
        (t) => t.value,
      ),
      ["aws", "logs", "tail", "g", "--filter-pattern", '{ $.level = "ERROR" }', "|", "jq", "."],
    );
    assert.deepEqual(
      shellLines(
        ["# a comment", "npm run deploy \\", "  -- --stack prod", "", "$ not a prompt"],
        "sh",
        10,
      ),
      [
        { line: 11, text: "npm run deploy -- --stack prod" },
        { line: 14, text: "$ not a prompt" },
      ],
    );
    assert.deepEqual(shellLines(["$ npm test", "output line"], "console", 1), [
      { line: 1, text: "npm test" },
    ]);
  });

  it("checks inline spans: `npm run` scripts and project paths, not other prose", () => {
    const doc = parseMarkdown(
      "x.md",
      "Run `npm run deplpy` or `npm run deploy -- --stack prod`,\nsee `infra/lib/runbook.ts` and `infra/lib/nope.ts`, `Pulumi.<stack>.yaml`, `alarmNames`.\n\n```sh\nnpm run ignored-here\n```\n",
    );
    const problems = inlineCode(doc).flatMap(({ code }) => checkInlineCode(code, ctx));
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.match(problems[0]!, /no script "deplpy"/);
    assert.match(problems[1]!, /infra\/lib\/nope\.ts/);
  });
});
