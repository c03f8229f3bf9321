import * as assert from "node:assert/strict";
import * as path from "node:path";
import { main, USAGE } from "../../tools/preview/cli";

const FIXTURE = path.resolve(__dirname, "..", "fixtures", "cost", "program.ts");

async function preview(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

// The fixture deliberately breaks policies (no alarms on its functions…), so once the policy
// report joins the preview it may exit 1; only 2 (usage/config/program error) is wrong here.
describe("npm run preview -- --cost", () => {
  it("documents --cost in the usage text", () => {
    assert.match(USAGE, /--cost\s+add a monthly cost estimate/);
  });

  it("appends the estimate with its total, assumptions and unpriced resources to the plan", async () => {
    const { code, out, err } = await preview(["--stack", "prod", "--cost", "--program", FIXTURE]);
    assert.notEqual(code, 2, err);
    // Total first, then the detail.
    assert.match(
      out,
      /Monthly cost estimate for huntaze-api\/prod: \$[\d,]+\.\d\d\nus-east-1 list prices as of \d{4}-\d{2}-\d{2}/,
    );
    assert.match(out, /\n {2}Total\s+\$[\d,]+\.\d\d\n/);
    const estimate = out.slice(out.indexOf("Monthly cost estimate"), out.indexOf("Policy pack"));
    for (const line of estimate.split("\n")) assert.ok(line.length <= 100, line);
    assert.match(
      out,
      /Usage assumptions \(override with huntaze-api:costAssumptions in Pulumi\.prod\.yaml/,
    );
    assert.match(out, /Not priced \(\d+\)[\s\S]*aws:dynamodb\/table:Table\s+sessions/);
  });

  it("--cost-only prints the estimate alone", async () => {
    const { code, out, err } = await preview([
      "--stack",
      "prod",
      "--cost-only",
      "--program",
      FIXTURE,
    ]);
    assert.notEqual(code, 2, err);
    assert.match(out, /^Monthly cost estimate for huntaze-api\/prod: \$[\d,]+\.\d\d\n/);
    assert.doesNotMatch(out, /pulumi:pulumi:Stack|Policy pack/);
  });

  it("adds a `cost` member to --json with line items and the total", async () => {
    const { code, out, err } = await preview([
      "--stack",
      "prod",
      "--cost",
      "--json",
      "--program",
      FIXTURE,
    ]);
    assert.notEqual(code, 2, err);
    const doc = JSON.parse(out) as {
      cost?: {
        totalMonthlyUsd: number;
        lineItems: Array<{ monthlyUsd: number }>;
        pricesAsOf: string;
      };
    };
    assert.ok(doc.cost, "cost member present");
    assert.ok(doc.cost.lineItems.length > 10);
    const sum = doc.cost.lineItems.reduce((s, i) => s + i.monthlyUsd, 0);
    assert.ok(Math.abs(sum - doc.cost.totalMonthlyUsd) < 1e-9);
  });

  it("leaves the estimate out unless asked", async () => {
    const { out } = await preview(["--stack", "prod", "--json", "--program", FIXTURE]);
    assert.equal((JSON.parse(out) as { cost?: unknown }).cost, undefined);
  });
});
