import { DEFAULT_COST_ASSUMPTIONS } from "./assumptions";
import type { CostReport } from "./estimate";

const usd = (n: number): string =>
  `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** Unit prices can be fractions of a cent: show enough digits to recompute the line. */
function unitPrice(n: number): string {
  if (n >= 1) return usd(n);
  if (n >= 0.01) {
    return `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 4 })}`;
  }
  return `$${n.toLocaleString("en-US", { maximumSignificantDigits: 4 })}`;
}

function quantity(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  if (n >= 100) return Math.round(n).toLocaleString("en-US");
  return Number(n.toPrecision(3)).toString();
}

/** Width of the report: a PR comment, a job summary, a 100-column terminal. */
const WIDTH = 100;

/**
 * `text` wrapped at WIDTH after `lead` (default: `indent` spaces) on the first line, the other
 * lines indented by `indent` spaces. A word longer than the width stays whole.
 */
function wrap(text: string, indent: number, lead = " ".repeat(indent)): string[] {
  const lines: string[] = [];
  let line = "";
  let pad = lead;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && pad.length + line.length + 1 + word.length > WIDTH) {
      lines.push(`${pad}${line}`);
      line = word;
      pad = " ".repeat(indent);
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(`${pad}${line}`);
  return lines;
}

/**
 * The estimate as text, total first: the total, the cost per service, then each line item
 * (amount, what, quantity × unit price), the assumptions, what is not priced, and why. Every
 * line fits 100 columns.
 */
export function renderCostReport(report: CostReport): string {
  const byService = new Map<string, number>();
  for (const i of report.lineItems) {
    byService.set(i.service, (byService.get(i.service) ?? 0) + i.monthlyUsd);
  }
  const services = [...byService.entries()].sort((a, b) => b[1] - a[1]);
  const sw = Math.max(5, ...services.map(([s]) => s.length));
  const mw = Math.max(
    ...[...services.map(([, v]) => v), report.totalMonthlyUsd].map((v) => usd(v).length),
  );
  const out: string[] = [
    `Monthly cost estimate for ${report.project}/${report.stack}: ${usd(report.totalMonthlyUsd)}`,
    ...wrap(
      `${report.priceRegion} list prices as of ${report.pricesAsOf} (tools/cost/prices.ts); an estimate from the resources the program registers and the usage assumptions below, not a quote.`,
      0,
    ),
    "",
    ...services.map(([service, total]) => `  ${service.padEnd(sw)}  ${usd(total).padStart(mw)}`),
    `  ${"Total".padEnd(sw)}  ${usd(report.totalMonthlyUsd).padStart(mw)}`,
    "",
    "Line items (USD/month; quantity × unit price; † = price not re-confirmed):",
  ];
  const aw = Math.max(...report.lineItems.map((i) => usd(i.monthlyUsd).length));
  for (const i of report.lineItems) {
    const amount = usd(i.monthlyUsd).padStart(aw);
    out.push(
      ...wrap(`${i.service}: ${i.item}${i.confirmed ? "" : " †"}`, aw + 4, `  ${amount}  `),
      ...wrap(
        `${quantity(i.quantity)} ${i.unit} × ${unitPrice(i.unitUsd)}${i.note ? `; ${i.note}` : ""}`,
        aw + 6,
      ),
    );
  }
  out.push("", `Usage assumptions (override with ${report.assumptionsSource}; * = default):`);
  const keys = Object.keys(DEFAULT_COST_ASSUMPTIONS) as Array<
    keyof typeof DEFAULT_COST_ASSUMPTIONS
  >;
  const kw = Math.max(...keys.map((k) => k.length));
  for (const k of keys) {
    const mark = report.assumptionsOverridden.includes(k) ? "" : " *";
    out.push(`  ${k.padEnd(kw)}  ${report.assumptions[k].toLocaleString("en-US")}${mark}`);
  }
  if (report.notPriced.length) {
    out.push(
      "",
      `Not priced (${report.notPriced.length}) — add them to tools/cost/registry.ts and prices.ts:`,
    );
    for (const r of report.notPriced)
      out.push(...wrap(`${r.type}  ${r.name}: ${r.reason}`, 4, "  "));
  }
  if (report.free.length) {
    out.push("", "No charge of their own:");
    for (const f of report.free) out.push(...wrap(`${f.type} ×${f.count}: ${f.reason}`, 4, "  "));
  }
  if (report.notes.length) {
    out.push("", "Notes:");
    for (const n of report.notes) out.push(...wrap(`- ${n}`, 4, "  "));
  }
  return out.join("\n");
}
