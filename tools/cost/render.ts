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

/** The estimate as text: line items, total, assumptions, what is not priced, and why. */
export function renderCostReport(report: CostReport): string {
  const rows = report.lineItems.map((i) => ({
    service: i.service,
    item: `${i.item}${i.confirmed ? "" : " †"}`,
    detail: `${quantity(i.quantity)} ${i.unit} × ${unitPrice(i.unitUsd)}${i.note ? `; ${i.note}` : ""}`,
    monthly: usd(i.monthlyUsd),
  }));
  const w = {
    service: Math.max(7, ...rows.map((r) => r.service.length)),
    item: Math.max(4, ...rows.map((r) => r.item.length)),
    monthly: Math.max(9, ...rows.map((r) => r.monthly.length), usd(report.totalMonthlyUsd).length),
  };
  const line = (a: string, b: string, d: string) =>
    `  ${a.padEnd(w.service)}  ${b.padEnd(w.item)}  ${d.padStart(w.monthly)}`;
  const out: string[] = [
    `Monthly cost estimate for ${report.project}/${report.stack}: ${report.priceRegion} list prices as of ${report.pricesAsOf} (tools/cost/prices.ts).`,
    "An estimate from the resources the program registers and the usage assumptions below, not a quote.",
    "",
    line("Service", "Item (quantity × unit price below)", "USD/month"),
    line("-".repeat(w.service), "-".repeat(w.item), "-".repeat(w.monthly)),
    ...rows.flatMap((r) => [
      line(r.service, r.item, r.monthly),
      `  ${" ".repeat(w.service)}    ${r.detail}`,
    ]),
    line("", "", "-".repeat(w.monthly)),
    line("Total", "", usd(report.totalMonthlyUsd)),
    "",
    `Usage assumptions (override with ${report.assumptionsSource}; * = default):`,
  ];
  const keys = Object.keys(DEFAULT_COST_ASSUMPTIONS) as Array<
    keyof typeof DEFAULT_COST_ASSUMPTIONS
  >;
  const kw = Math.max(...keys.map((k) => k.length));
  for (const k of keys) {
    const mark = report.assumptionsOverridden.includes(k) ? "" : " *";
    out.push(`  ${k.padEnd(kw)}  ${report.assumptions[k].toLocaleString("en-US")}${mark}`);
  }
  if (report.notPriced.length) {
    out.push("", `Not priced (${report.notPriced.length}) — add them to tools/cost/prices.ts:`);
    for (const r of report.notPriced) out.push(`  ${r.type}  ${r.name}: ${r.reason}`);
  }
  if (report.free.length) {
    out.push("", "No charge of their own:");
    for (const f of report.free) out.push(`  ${f.type} ×${f.count}: ${f.reason}`);
  }
  if (report.notes.length) {
    out.push("", "Notes:");
    for (const n of report.notes) out.push(`  - ${n}`);
  }
  return out.join("\n");
}
