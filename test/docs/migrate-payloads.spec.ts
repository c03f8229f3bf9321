import * as assert from "node:assert/strict";
import { parseMigrateEvent } from "../../handlers/migration/event";
import { SHELL_LANGUAGES, shellLines, splitCommands, tokenize } from "./commands";
import { documentationFiles, readMarkdown } from "./markdown";

/** What a reader substitutes for `<name>`: a migration folder name. */
const EXAMPLE_NAME = "20261128000000_add_fan_index";

interface Invocation {
  where: string;
  payload: string;
}

/** Every `aws lambda invoke` of a migration function in the docs, with its `--payload`. */
function migrateInvocations(): Invocation[] {
  const found: Invocation[] = [];
  for (const file of documentationFiles()) {
    for (const block of readMarkdown(file).blocks) {
      if (!SHELL_LANGUAGES.has(block.lang)) continue;
      for (const { line, text } of shellLines(block.lines, block.lang, block.line)) {
        for (const command of splitCommands(tokenize(text))) {
          const words = command.map((t) => t.value);
          if (words[0] !== "aws" || words[1] !== "lambda" || words[2] !== "invoke") continue;
          const fn = words[words.indexOf("--function-name") + 1] ?? "";
          if (!/^huntaze-api-[a-z0-9-]+-migrate$/.test(fn)) continue;
          const payload = words[words.indexOf("--payload") + 1];
          assert.ok(payload, `${file}:${line}: invokes ${fn} without --payload`);
          found.push({ where: `${file}:${line}`, payload });
        }
      }
    }
  }
  return found;
}

describe("payloads the docs send to the migration function", () => {
  const invocations = migrateInvocations();

  it("are events the function accepts, with <name> filled in", () => {
    const problems: string[] = [];
    for (const { where, payload } of invocations) {
      try {
        parseMigrateEvent(JSON.parse(payload.replaceAll("<name>", EXAMPLE_NAME)));
      } catch (err) {
        problems.push(`${where}: ${payload}: ${(err as Error).message}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("include the failed-migration resolve in the deployment guide and the runbook", () => {
    for (const file of ["docs/DEPLOYMENT.md", "docs/RUNBOOK.md"]) {
      const resolves = invocations.filter(
        (i) =>
          i.where.startsWith(`${file}:`) &&
          parseMigrateEvent(JSON.parse(i.payload.replaceAll("<name>", EXAMPLE_NAME))).kind ===
            "resolve",
      );
      assert.ok(resolves.length > 0, `${file} shows how to resolve a failed migration`);
    }
  });
});
