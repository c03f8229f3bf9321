/**
 * `npm run bench -- --only handlers`: the data layer measured side by side on a seeded
 * PostgreSQL 17 (embedded unless DATABASE_URL names a server; a fresh database is created on it).
 *
 * 1. Read routes through the real Lambda handler vs the very SQL Prisma sent, replayed through
 *    raw `pg` on one connection: p50/p95 and the ratio, in interleaved rounds.
 * 2. SQL statements per request at page sizes 10/50/200 (no N+1: constant).
 * 3. Keyset cursor vs OFFSET at pages 1, 100 and 1 000 of a 20 000-message conversation.
 * 4. The API function's esbuild bundle (the infra's options) vs a raw-pg handler: bytes, gzip,
 *    and cold `require` + first request in fresh Node processes.
 *
 * Volume: BENCH_SEED (1 000 fans, 100 000 messages); HUNTAZE_BENCH_VOLUME=dev for a quick run.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { Client } from "pg";
import { encodeCursor } from "../../handlers/lib/cursor";
import { parseParams } from "../../handlers/lib/explain";
import { createApiHandler } from "../../handlers/lib/http-handler";
import { createLogger } from "../../handlers/lib/logger";
import { applyMigrations, loadMigrationsFromDir } from "../../handlers/lib/migrations";
import { Database } from "../../handlers/lib/prisma";
import { createTracer } from "../../handlers/lib/tracer";
import { routes } from "../../handlers/routes";
import { BENCH_SEED, DEV_SEED, seedDatabase } from "../../prisma/seed";
import { startEmbeddedPostgres, withDatabase } from "../dev/embedded-postgres";
import { MIGRATIONS_DIR, ROOT } from "../prisma/cli-support";
import type { BenchSection } from "./index";

const ROUNDS = 10;
const PER_ROUND = 60;
const PAGE = 20;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
function stats(samples: number[]): { p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}
const ms = (n: number) => n.toFixed(n < 1 ? 3 : 2);
const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB (${(n / 1e6).toFixed(2)} MB)`;

function event(method: string, path: string, query?: Record<string, string>): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    queryStringParameters: query ?? null,
    headers: {},
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: randomUUID() },
  } as unknown as APIGatewayProxyEvent;
}
const context = { awsRequestId: "bench" } as Context;

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

interface Bundled {
  bytes: number;
  /** Output bytes per package (or project folder), largest first. */
  parts: Array<[string, number]>;
}

/** The infra's bundle options (infra/lib/bundle.ts), so the size is the deployed one. */
function bundle(entry: string, outfile: string, external: string[] = []): Bundled {
  const esbuild = require("esbuild") as typeof import("esbuild");
  const result = esbuild.buildSync({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    mainFields: ["module", "main"],
    minify: true,
    keepNames: true,
    legalComments: "none",
    charset: "utf8",
    external,
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
    metafile: true,
  });
  const output = Object.values(result.metafile.outputs)[0];
  const parts = new Map<string, number>();
  for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
    const segments = file.replace(/^node_modules\//, "").split("/");
    let key = segments[0].startsWith("@") ? segments.slice(0, 2).join("/") : segments[0];
    if (file.includes("wasm-base64")) key = "Prisma query compiler (wasm, base64)";
    else if (key === "@prisma/client") key = "Prisma client runtime";
    else if (
      /^@(aws-sdk|smithy|aws-crypto)\//.test(key) ||
      key === "bowser" ||
      key === "fast-xml-parser"
    )
      key = "AWS SDK v3 (Secrets Manager)";
    else if (key === "aws-xray-sdk-core" || key === "semver" || key === "cls-hooked")
      key = "X-Ray SDK";
    else if (key === "handlers") key = "handlers/ (our code + generated client)";
    parts.set(key, (parts.get(key) ?? 0) + bytesInOutput);
  }
  return { bytes: output.bytes, parts: [...parts.entries()].sort((a, b) => b[1] - a[1]) };
}

async function run(log: (line: string) => void): Promise<string> {
  const out: string[] = [];
  const volume = process.env.HUNTAZE_BENCH_VOLUME === "dev" ? DEV_SEED : BENCH_SEED;

  // --- database -------------------------------------------------------------------------------
  let url: string;
  let stopServer: (() => Promise<void>) | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  const external = process.env.DATABASE_URL?.trim();
  const name = `huntaze_bench_${randomUUID().slice(0, 8)}`;
  let adminUrl = external;
  if (!adminUrl) {
    const server = await startEmbeddedPostgres();
    stopServer = server.stop;
    adminUrl = server.adminUrl;
  }
  const admin = adminUrl;
  {
    const client = new Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE "${name}"`);
    await client.end();
    url = withDatabase(admin, name);
    dropDatabase = async () => {
      const c = new Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    };
  }
  const raw = new Client({ connectionString: url });
  let bundleDir: string | undefined;
  const database = new Database({
    env: { stage: "local", serviceName: "huntaze-api", slowQueryMs: 1_000_000, databaseUrl: url },
    logger: createLogger({ level: "SILENT" }),
  });
  try {
    await applyMigrations({
      connection: url,
      migrations: await loadMigrationsFromDir(MIGRATIONS_DIR),
    });
    await raw.connect();
    log(
      `seeding ${volume.fans} fans, ${volume.messages} messages, ${volume.transactions} transactions…`,
    );
    const seeded = await seedDatabase(raw, volume);
    const { rows: pgv } = await raw.query<{ server_version: string }>("SHOW server_version");
    out.push(
      `Seeded PostgreSQL ${pgv[0].server_version}: ${seeded.creators} creators, ${seeded.fans} fans, ${seeded.messages} messages (one conversation of ${volume.longConversation}), ${seeded.transactions} transactions (${seeded.durationMs} ms). Node ${process.version}. Prisma 7.10 (client engine, \`compilerBuild = "small"\`) through @prisma/adapter-pg, pool max 1.`,
      "",
    );

    const handler = createApiHandler({
      routes,
      database,
      logger: createLogger({ level: "SILENT" }),
      tracer: createTracer(),
    });
    const call = (e: APIGatewayProxyEvent) => handler(e, context);

    // --- 1. read routes vs raw pg -------------------------------------------------------------
    const revenueFrom = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
    const reads: Array<[string, APIGatewayProxyEvent]> = [
      ["GET /creators/{id}/fans?limit=50", event("GET", "/creators/1/fans", { limit: "50" })],
      [
        "GET …/fans/{fanId}/messages?limit=50",
        event("GET", "/creators/2/fans/2/messages", { limit: "50" }),
      ],
      [
        "GET /creators/{id}/revenue (30 days)",
        event("GET", "/creators/1/revenue", { from: revenueFrom }),
      ],
      ["GET /health", event("GET", "/health")],
    ];
    out.push(
      "### Read routes: the Lambda handler vs the same SQL through raw `pg`",
      "",
      `${ROUNDS} interleaved rounds × ${PER_ROUND} requests per column. handler = the Lambda handler (routing, validation, Prisma, JSON response); in Prisma = the Prisma operations inside those requests (query-timing extension); raw pg = Prisma's own SQL text and parameters replayed with \`pg\` on one connection; raw pg + JSON = the same plus serializing the rows, the fair baseline for a whole request.`,
      "",
      "| route | handler p50 | handler p95 | in Prisma p50 | raw pg p50 | raw pg p95 | raw pg + JSON p50 | Prisma / raw pg | handler / (raw pg + JSON) |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const [label, e] of reads) {
      database.stats.keepSql(5);
      const first = await call(e);
      if (first.statusCode !== 200)
        throw new Error(`${label} answered ${first.statusCode}: ${first.body}`);
      const statements = [...database.stats.recent];
      const replay = () =>
        Promise.all(statements.map((s) => raw.query(s.sql, parseParams(s.params))));
      const viaHandler: number[] = [];
      const inPrisma: number[] = [];
      const viaRaw: number[] = [];
      const viaRawJson: number[] = [];
      const replayJson = async () => {
        const results = await replay();
        return JSON.stringify({ data: results.map((r) => r.rows) });
      };
      for (let i = 0; i < 20; i++) {
        await call(e);
        await replay();
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < PER_ROUND; i++) {
          const before = database.stats.snapshot();
          viaHandler.push(await timeIt(() => call(e)));
          inPrisma.push(database.stats.since(before).operationMs);
        }
        for (let i = 0; i < PER_ROUND; i++) viaRaw.push(await timeIt(replay));
        for (let i = 0; i < PER_ROUND; i++) viaRawJson.push(await timeIt(replayJson));
      }
      const h = stats(viaHandler);
      const r = stats(viaRaw);
      const p = stats(inPrisma);
      const rj = stats(viaRawJson);
      const line = `| ${label} | ${ms(h.p50)} ms | ${ms(h.p95)} ms | ${ms(p.p50)} ms | ${ms(r.p50)} ms | ${ms(r.p95)} ms | ${ms(rj.p50)} ms | ${(p.p50 / r.p50).toFixed(2)}× | ${(h.p50 / rj.p50).toFixed(2)}× |`;
      log(line);
      out.push(line);
    }
    out.push("");

    // --- 2. statements per request ------------------------------------------------------------
    out.push(
      "### SQL statements per request (Prisma query events)",
      "",
      "| route | limit 10 | limit 50 | limit 200 |",
      "|---|---:|---:|---:|",
    );
    for (const [label, path] of [
      ["GET /creators/{id}/fans", "/creators/1/fans"],
      ["GET …/fans/{fanId}/messages", "/creators/1/fans/1/messages"],
    ] as const) {
      const counts: number[] = [];
      for (const limit of ["10", "50", "200"]) {
        const before = database.stats.snapshot();
        await call(event("GET", path, { limit }));
        counts.push(database.stats.since(before).statements);
      }
      const line = `| ${label} | ${counts.join(" | ")} |`;
      log(line);
      out.push(line);
    }
    out.push("");

    // --- 3. keyset cursor vs OFFSET -----------------------------------------------------------
    out.push(
      `### Pagination: keyset cursor (the route) vs OFFSET, ${PAGE} messages per page, conversation of ${volume.longConversation}`,
      "",
      "| page | cursor p50 | offset p50 | offset / cursor |",
      "|---:|---:|---:|---:|",
    );
    const prisma = await database.client();
    const pages = [1, 100, 1000].filter((p) => (p - 1) * PAGE < volume.longConversation);
    for (const page of pages) {
      const skip = (page - 1) * PAGE;
      let cursorQuery: Record<string, string> = { limit: String(PAGE) };
      if (skip > 0) {
        const { rows } = await raw.query<{ id: number; sent_at: Date }>(
          "SELECT id, sent_at FROM messages WHERE fan_id = 1 ORDER BY sent_at DESC, id DESC OFFSET $1 LIMIT 1",
          [skip - 1],
        );
        cursorQuery = {
          ...cursorQuery,
          cursor: encodeCursor({ at: rows[0].sent_at.toISOString(), id: rows[0].id }),
        };
      }
      const viaCursor = event("GET", "/creators/1/fans/1/messages", cursorQuery);
      const viaOffset = () =>
        prisma.message.findMany({
          where: { fanId: 1, creatorId: 1 },
          orderBy: [{ sentAt: "desc" }, { id: "desc" }],
          skip,
          take: PAGE + 1,
          select: { id: true, direction: true, body: true, sentAt: true, campaignId: true },
        });
      // Both ways return the same rows.
      const a = JSON.parse((await call(viaCursor)).body).data.map((m: { id: number }) => m.id);
      const b = (await viaOffset()).slice(0, PAGE).map((m) => m.id);
      if (JSON.stringify(a) !== JSON.stringify(b))
        throw new Error(`page ${page}: cursor and offset disagree`);
      const c: number[] = [];
      const o: number[] = [];
      for (let i = 0; i < 5 * PER_ROUND; i++) {
        c.push(await timeIt(() => call(viaCursor)));
        o.push(await timeIt(viaOffset));
      }
      const cs = stats(c);
      const os = stats(o);
      const line = `| ${page} | ${ms(cs.p50)} ms | ${ms(os.p50)} ms | ${(os.p50 / cs.p50).toFixed(2)}× |`;
      log(line);
      out.push(line);
    }
    out.push("");

    // --- 4. bundle size and cold start --------------------------------------------------------
    bundleDir = mkdtempSync(join(tmpdir(), "huntaze-bench-"));
    const dir = bundleDir;
    const apiBundle = join(dir, "api", "index.js");
    const apiSdkExternal = join(dir, "api-sdk-external", "index.js");
    const rawBundle = join(dir, "raw", "index.js");
    const apiBuilt = bundle("handlers/api.ts", apiBundle);
    const apiBytes = apiBuilt.bytes;
    const apiExtBytes = bundle("handlers/api.ts", apiSdkExternal, ["@aws-sdk/*"]).bytes;
    const rawBytes = bundle("tools/bench/handlers-fixtures/raw-pg-handler.ts", rawBundle).bytes;
    const gz = (file: string) => gzipSync(readFileSync(file)).length;
    out.push(
      "### API function bundle (esbuild, the infra's options: minified CJS, node22)",
      "",
      "| bundle | size | gzip |",
      "|---|---:|---:|",
      `| handlers/api.ts (everything bundled, as deployed) | ${mb(apiBytes)} | ${mb(gz(apiBundle))} |`,
      `| handlers/api.ts with \`@aws-sdk/*\` left to the Lambda runtime | ${mb(apiExtBytes)} | ${mb(gz(apiSdkExternal))} |`,
      `| raw-pg handler (baseline) | ${kb(rawBytes)} | ${kb(gz(rawBundle))} |`,
      "",
      "What the API bundle is made of (bytes in the output):",
      "",
      "| part | size | share |",
      "|---|---:|---:|",
      ...apiBuilt.parts
        .slice(0, 8)
        .map(
          ([part, bytes]) =>
            `| ${part} | ${kb(bytes)} | ${((100 * bytes) / apiBytes).toFixed(0)} % |`,
        ),
      `| everything else | ${kb(apiBuilt.parts.slice(8).reduce((sum, [, b]) => sum + b, 0))} | |`,
      "",
    );
    log(
      `bundle: api ${mb(apiBytes)}, api with runtime SDK ${mb(apiExtBytes)}, raw-pg ${kb(rawBytes)}`,
    );

    const coldEvent = JSON.stringify(event("GET", "/creators/1/fans", { limit: "20" }));
    const runCold = (file: string) => {
      const res = spawnSync(
        process.execPath,
        [join(ROOT, "tools/bench/handlers-fixtures/cold-start.js"), file, coldEvent],
        {
          env: {
            ...process.env,
            DATABASE_URL: url,
            POWERTOOLS_LOG_LEVEL: "SILENT",
            STAGE: "",
            AWS_LAMBDA_LOG_LEVEL: "",
          },
          encoding: "utf8",
        },
      );
      if (res.status !== 0) throw new Error(`cold start of ${file} failed: ${res.stderr}`);
      const parsed = JSON.parse(res.stdout.trim()) as {
        importMs: number;
        firstRequestMs: number;
        status: number;
      };
      if (parsed.status !== 200) throw new Error(`cold start of ${file}: status ${parsed.status}`);
      return parsed;
    };
    const cold: Record<string, { importMs: number[]; firstRequestMs: number[] }> = {
      api: { importMs: [], firstRequestMs: [] },
      raw: { importMs: [], firstRequestMs: [] },
    };
    for (let i = 0; i < 7; i++) {
      for (const [key, file] of [
        ["api", apiBundle],
        ["raw", rawBundle],
      ] as const) {
        const r = runCold(file);
        cold[key].importMs.push(r.importMs);
        cold[key].firstRequestMs.push(r.firstRequestMs);
      }
    }
    const med = (xs: number[]) => stats(xs).p50;
    const api = { imp: med(cold.api.importMs), first: med(cold.api.firstRequestMs) };
    const base = { imp: med(cold.raw.importMs), first: med(cold.raw.firstRequestMs) };
    out.push(
      "### Cold start: fresh Node process, `require(bundle)` then the first GET /creators/1/fans?limit=20 (median of 7, alternated)",
      "",
      "| bundle | require | first request | total |",
      "|---|---:|---:|---:|",
      `| API function (Prisma) | ${ms(api.imp)} ms | ${ms(api.first)} ms | ${ms(api.imp + api.first)} ms |`,
      `| raw-pg handler | ${ms(base.imp)} ms | ${ms(base.first)} ms | ${ms(base.imp + base.first)} ms |`,
      `| ratio | ${(api.imp / base.imp).toFixed(1)}× | ${(api.first / base.first).toFixed(1)}× | ${((api.imp + api.first) / (base.imp + base.first)).toFixed(1)}× |`,
      "",
    );
    log(
      `cold start: api ${ms(api.imp)} + ${ms(api.first)} ms, raw ${ms(base.imp)} + ${ms(base.first)} ms`,
    );
  } finally {
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
    await raw.end().catch(() => undefined);
    await database.disconnect();
    await dropDatabase?.().catch(() => undefined);
    await stopServer?.();
  }
  const report = out.join("\n");
  log("");
  log(report);
  return report;
}

export const section: BenchSection = {
  id: "handlers",
  title: "Handlers and data layer (Prisma 7 on PostgreSQL 17)",
  run,
};
