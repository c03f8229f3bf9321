import * as assert from "node:assert/strict";
import { parseMarkdown } from "./markdown";

describe("the docs tests' Markdown view", () => {
  const doc = parseMarkdown(
    "x.md",
    [
      "# Deploy `prod`", // 1
      "",
      "1. Run `npm test`, then", // 3
      "   the [runbook](RUNBOOK.md#deploy).", // 4
      "   ```sh", // 5
      "   npm run deploy -- --stack prod", // 6
      "   ```",
      "",
      "| flag | what |", // 9
      "| --- | --- |",
      "| `--only preview\\|policy` | sections |", // 11
      "",
      "## Deploy prod", // 13
    ].join("\n"),
  );

  it("gives code blocks (de-indented inside lists), spans and links their own line", () => {
    assert.deepEqual(doc.blocks, [
      { lang: "sh", line: 6, lines: ["npm run deploy -- --stack prod"] },
    ]);
    assert.deepEqual(doc.spans, [
      { line: 1, code: "prod" },
      { line: 3, code: "npm test" },
      { line: 11, code: "--only preview|policy" },
    ]);
    assert.deepEqual(doc.links, [{ line: 4, target: "RUNBOOK.md#deploy" }]);
  });

  it("anchors headings as GitHub does, numbering repeats", () => {
    assert.deepEqual(
      doc.headings.map((h) => h.anchor),
      ["deploy-prod", "deploy-prod-1"],
    );
  });

  it("refuses a code fence that is never closed, naming the file and line", () => {
    assert.throws(
      () => parseMarkdown("y.md", "text\n\n```sh\nnpm test\n"),
      /^Error: y\.md:3: code fence never closed$/,
    );
  });
});
