import * as assert from "node:assert/strict";
import { diffPlans, diffValues, type PlanDocument } from "../../tools/preview/diff";
import { renderPlanDiff } from "../../tools/preview/diff-report";
import {
  formatOutput,
  formatValue,
  styleFor,
  summaryLine,
  UNKNOWN_TEXT,
  wrapList,
} from "../../tools/preview/format";

const STACK = "urn:pulumi:prod::p::pulumi:pulumi:Stack::p-prod";
const urn = (type: string, name: string) => `urn:pulumi:prod::p::${type}::${name}`;

function doc(resources: Array<[string, string, Record<string, unknown>]>): PlanDocument {
  return {
    resources: [
      { urn: STACK, type: "pulumi:pulumi:Stack", name: "p-prod", custom: false, inputs: {} },
      ...resources.map(([type, name, inputs]) => ({
        urn: urn(type, name),
        type,
        name,
        custom: true,
        inputs,
      })),
    ],
  };
}

describe("preview output format", () => {
  it("prints values the engine does not know as Pulumi does, never invented", () => {
    assert.equal(formatValue(UNKNOWN_TEXT), "output<string>");
    assert.equal(formatOutput(UNKNOWN_TEXT, 2), "output<string>");
    assert.equal(formatValue({ url: UNKNOWN_TEXT }), '{"url":"output<string>"}');
    assert.equal(formatOutput(["a", UNKNOWN_TEXT], 2), "[a, output<string>]");
  });

  it("colours on a terminal only, never with NO_COLOR or when piped", () => {
    const red = (s: ReturnType<typeof styleFor>) => s.paint("red", "x");
    assert.notEqual(red(styleFor({ isTTY: true }, {})), "x");
    assert.equal(red(styleFor({ isTTY: true }, { NO_COLOR: "1" })), "x");
    assert.equal(red(styleFor({ isTTY: false }, {})), "x");
    assert.equal(red(styleFor({}, {})), "x");
  });

  it("summarises like pulumi preview and wraps long lists", () => {
    assert.equal(summaryLine({ create: 115 }), "+ 115 to create");
    assert.equal(summaryLine({ update: 1, same: 114 }), "~ 1 to update, 114 unchanged");
    const wrapped = wrapList(
      Array.from({ length: 30 }, (_, i) => `alarm-${i}`),
      4,
      40,
    ).split("\n");
    assert.ok(wrapped.length > 1);
    // The first line follows 4 columns of label; the others carry their indent.
    assert.ok(wrapped[0]!.length + 4 <= 40, wrapped[0]);
    for (const line of wrapped.slice(1)) {
      assert.ok(line.length <= 40 && line.startsWith("    alarm-"), line);
    }
  });

  it("diffs inputs leaf by leaf; a secret stays masked, an unknown shows as output<string>", () => {
    assert.deepEqual(
      diffValues({ a: { b: [1, 2] }, s: "[secret]" }, { a: { b: [1, 3] }, s: "[secret]" }),
      [{ path: "a.b[1]", old: 2, new: 3 }],
    );
    const base = doc([["aws:sqs/queue:Queue", "q", { delaySeconds: 0, policy: "[secret]" }]]);
    const head = doc([["aws:sqs/queue:Queue", "q", { delaySeconds: 5, policy: UNKNOWN_TEXT }]]);
    const diff = diffPlans(base, head, { ref: "main", commit: "0123456789abcdef" });
    const text = renderPlanDiff(diff);
    assert.match(text, /~ delaySeconds: 0 → 5/);
    assert.match(text, /~ policy: "\[secret\]" → output<string>/);
  });

  it("a change of a property that forces replacement is a replace; new resources and deletions by URN", () => {
    const base = doc([
      ["aws:sqs/queue:Queue", "q", { name: "a" }],
      ["aws:sns/topic:Topic", "gone", {}],
    ]);
    const head = doc([
      ["aws:sqs/queue:Queue", "q", { name: "b" }],
      ["aws:sns/topic:Topic", "new", {}],
    ]);
    const diff = diffPlans(base, head, { ref: "main", commit: "0123456789abcdef" });
    assert.deepEqual(
      diff.replaced.map((r) => [r.name, r.replaceReasons]),
      [["q", ["name"]]],
    );
    assert.deepEqual(
      diff.added.map((r) => r.name),
      ["new"],
    );
    assert.deepEqual(
      diff.removed.map((r) => r.name),
      ["gone"],
    );
    // The stack and the default aws provider are unchanged.
    assert.equal(diff.unchanged, 2);
    const text = renderPlanDiff(diff);
    assert.match(text, /^ {2}\+-aws:sqs\/queue:Queue {2}q$/m);
    assert.match(text, /~ name: "a" → "b" {2}\(forces replacement\)/);
    assert.match(text, /^Resources: \+ 1 to create, \+-1 to replace, - 1 to delete, 2 unchanged$/m);
  });
});
