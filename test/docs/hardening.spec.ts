import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../policies/src/pack";
import { estimateCost, loadCostAssumptions } from "../../tools/cost";
import type { CostReport } from "../../tools/cost/estimate";
import { type ProgramRun, runProgram } from "../../tools/preview/run-program";
import { loadStackConfig } from "../../tools/preview/stack-config";
import { documentationFiles, PROJECT_ROOT, paragraphs, readMarkdown } from "./markdown";

const HARDENING = "docs/PRODUCTION_HARDENING.md";
const hardening = readMarkdown(HARDENING);

/** `it("…")` titles of a spec file (plain string literals; template titles are not citable). */
function testTitles(source: string): string[] {
  const titles: string[] = [];
  for (const m of source.matchAll(/\bit\(\s*(["'`])((?:\\.|(?!\1)[^\\])*)\1/g)) {
    if (m[1] === "`" && m[2]!.includes("${")) continue;
    titles.push(m[2]!.replace(/\\(.)/g, "$1"));
  }
  return titles;
}

/** `` `test/….spec.ts` › `title` `` citations of a document. */
function citations(text: string): Array<{ file: string; title: string }> {
  return [...text.matchAll(/`(test\/[^`]+?\.spec\.ts)` › `([^`]+)`/g)].map((m) => ({
    file: m[1]!,
    title: m[2]!,
  }));
}

/** The figure as the cost report prints it: `$170.93`. */
function usd(value: number): string {
  return `$${value.toFixed(2)}`;
}

function line(report: CostReport, service: string, item: RegExp): number {
  const found = report.lineItems.filter((l) => l.service === service && item.test(l.item));
  assert.equal(found.length, 1, `one ${service} line matching ${item} in ${report.stack}`);
  return found[0]!.monthlyUsd;
}

describe("docs/PRODUCTION_HARDENING.md", () => {
  it("cites only tests that exist, by file and title", () => {
    const cited = citations(hardening.text);
    assert.ok(cited.length >= 60, `only ${cited.length} test citations`);
    const missing: string[] = [];
    for (const { file, title } of cited) {
      const full = path.join(PROJECT_ROOT, file);
      if (!fs.existsSync(full)) {
        missing.push(`${file} does not exist`);
        continue;
      }
      if (!testTitles(fs.readFileSync(full, "utf8")).includes(title)) {
        missing.push(`${file} has no it("${title}")`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it("cites tests in the same form wherever it names one", () => {
    // A `test/….spec.ts` span not followed by › `title` would escape the check above.
    const bare = [...hardening.text.matchAll(/`(test\/[^`]+?\.spec\.ts)`(?! › `)/g)].map(
      (m) => m[1],
    );
    assert.deepEqual(
      bare.filter((f) => f !== "test/docs/hardening.spec.ts"),
      [],
      "every test file in the checklist is cited with a test title",
    );
  });

  it("puts every policy of the pack in the checklist", () => {
    const checklist = hardening.text.slice(0, hardening.text.indexOf("\n## SLOs"));
    for (const policy of policies) {
      assert.ok(checklist.includes(`\`${policy.name}\``), `${policy.name} is not in the checklist`);
    }
  });

  it("states the SLOs: error rate below 0.5 %, p95 below 500 ms", () => {
    const slos = hardening.text.slice(hardening.text.indexOf("\n## SLOs"));
    assert.match(slos, /< 0\.5 %/);
    assert.match(slos, /< 500 ms/);
    assert.match(hardening.text, /## J\+0 → J\+30/);
  });

  describe("cost figures", () => {
    const runs = new Map<string, ProgramRun>();
    const reports = new Map<string, CostReport>();

    before(async () => {
      for (const stack of ["prod", "staging"]) {
        const stackConfig = loadStackConfig(PROJECT_ROOT, stack);
        const run = await runProgram({
          programFile: path.join(PROJECT_ROOT, "infra", "index.ts"),
          stackConfig,
        });
        runs.set(stack, run);
        const base = loadCostAssumptions(stackConfig);
        reports.set(stack, estimateCost(run, base, "us-east-1"));
        const busy = { ...base, values: { ...base.values, requestsPerMonth: 10_000_000 } };
        reports.set(`${stack}@10M`, estimateCost(run, busy, "us-east-1"));
      }
    });

    /** The figures the quick wins and the cost section quote, each computed by the cost tool. */
    function quoted(): Map<string, number> {
      const prod = reports.get("prod")!;
      const staging = reports.get("staging")!;
      const xrayBusyProd = line(reports.get("prod@10M")!, "X-Ray", /traces recorded/);
      const xrayBusyStaging = line(reports.get("staging@10M")!, "X-Ray", /traces recorded/);
      return new Map([
        ["prod total", prod.totalMonthlyUsd],
        ["staging total", staging.totalMonthlyUsd],
        ["prod endpoints", line(prod, "VPC", /interface endpoints:/)],
        ["staging endpoints", line(staging, "VPC", /interface endpoints:/)],
        ["prod instance", line(prod, "RDS", /db\.t4g\.medium Multi-AZ/)],
        ["staging instance", line(staging, "RDS", /db\.t4g\.micro Single-AZ/)],
        ["prod storage", line(prod, "RDS", /gp3 storage/)],
        ["Performance Insights", line(prod, "RDS", /Performance Insights/)],
        ["X-Ray prod", line(prod, "X-Ray", /traces recorded/)],
        ["X-Ray staging", line(staging, "X-Ray", /traces recorded/)],
        ["X-Ray prod at 10M", xrayBusyProd],
        ["X-Ray staging at 10M", xrayBusyStaging],
        ["X-Ray saving at 10M", xrayBusyStaging - xrayBusyProd],
        ["API Gateway", line(prod, "API Gateway", /REST API requests/)],
        ["KMS keys", line(prod, "KMS", /customer-managed keys/)],
        ["dashboard", line(prod, "CloudWatch", /dashboards/)],
        ["alarms", line(prod, "CloudWatch", /alarms:/)],
        ["Lambda API", line(prod, "Lambda", /-api:/)],
        ["logs ingestion", line(prod, "CloudWatch Logs", /^ingestion/)],
        ["logs storage", line(prod, "CloudWatch Logs", /storage at 30-day/)],
        ["SNS", line(prod, "SNS", /alarm notifications/)],
        ["WAF web ACL", line(prod, "WAF", /web ACLs/)],
        ["WAF rules", line(prod, "WAF", /^rules/)],
        ["WAF requests", line(prod, "WAF", /requests inspected/)],
      ]);
    }

    it("quotes what `npm run preview -- --cost` computes for both stacks", () => {
      const missing = [...quoted()]
        .filter(([, value]) => !hardening.text.includes(usd(value)))
        .map(([label, value]) => `${label}: ${usd(value)}`);
      assert.deepEqual(missing, [], "figures to update in docs/PRODUCTION_HARDENING.md");
    });

    it("quotes no dollar figure the cost tool did not compute", () => {
      const known = new Set([...quoted().values()].map(usd));
      const unsourced = [...hardening.text.matchAll(/\$\d[\d,]*\.\d{2}\b/g)]
        .map((m) => m[0])
        .filter((figure) => !known.has(figure));
      assert.deepEqual(unsourced, []);
    });
  });

  it("quotes benchmark figures that BENCHMARKS.md holds", () => {
    const benchmarks = fs.readFileSync(path.join(PROJECT_ROOT, "BENCHMARKS.md"), "utf8");
    const problems: string[] = [];
    for (const file of documentationFiles().filter((f) => f.startsWith("docs/"))) {
      for (const p of paragraphs(readMarkdown(file))) {
        if (!p.text.includes("BENCHMARKS.md")) continue;
        for (const m of p.text.matchAll(/\d[\d.]*\s?(?:MB|ms|×)/g)) {
          if (!benchmarks.includes(m[0])) problems.push(`${file}:${p.line}: ${m[0]}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});
