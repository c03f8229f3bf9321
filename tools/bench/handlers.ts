/**
 * `npm run bench -- --only handlers`: the data layer measured side by side on a seeded
 * PostgreSQL 17 (embedded unless DATABASE_URL names a server; a fresh database is created on it).
 *
 * 1. Read routes through the real Lambda handler vs the very SQL Prisma sent, replayed through
 *    raw `pg` on one connection: p50/p95 and the ratio, in interleaved rounds.
 * 2. SQL statements per request at page sizes 10/50/200 (no N+1: constant).
 * 3. Keyset cursor vs OFFSET at pages 1, 100 and 1 000 of a 20 000-message conversation.
 * 4. The API function's bundle, built by the infra's bundler (query compiler as a file, as
 *    deployed, and inlined as Prisma generates it) vs a raw-pg handler: bytes of every file of
 *    the archive against the 3 MB target (printed with its verdict), ≈ zipped bytes, and cold
 *    `require` + first request in fresh Node processes.
 *
 * Volume: BENCH_SEED (1 000 fans, 100 000 messages); HUNTAZE_BENCH_VOLUME=dev for a quick run.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { Client } from "pg";
import { gatewayClaimsAuthenticator } from "../../handlers/lib/auth";
import { encodeCursor } from "../../handlers/lib/cursor";
import { parseParams } from "../../handlers/lib/explain";
import { createApiHandler } from "../../handlers/lib/http-handler";
import { createLogger } from "../../handlers/lib/logger";
import { applyMigrations, loadMigrationsFromDir } from "../../handlers/lib/migrations";
import { Database } from "../../handlers/lib/prisma";
import { createTracer } from "../../handlers/lib/tracer";
import { routes } from "../../handlers/routes";
import { bundleFunction, QUERY_COMPILER_WASM_FILE } from "../../infra/lib/bundle";
import { BENCH_SEED, DEV_SEED, seedDatabase } from "../../prisma/seed";
import { startEmbeddedPostgres, withDatabase } from "../dev/embedded-postgres";
import { MIGRATIONS_DIR } from "../prisma/cli-support";
import { authorizationRows } from "./auth";
import {
  type ColdStartFigures,
  coldStartNodes,
  LAMBDA_NODE_MAJOR,
  majorOf,
  measureColdStarts,
} from "./cold-start";
import type { BenchSection } from "./index";

const ROUNDS = 10;
const PER_ROUND = 60;
const PAGE = 20;
/** Fresh processes per bundle for the cold-start medians. */
const COLD_RUNS = 9;

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

/** The app client id the bench's API accepts (deployed: the Cognito app client). */
const BENCH_CLIENT_ID = "benchclient000000000000000";
const gatewayClaims = gatewayClaimsAuthenticator({ audience: [BENCH_CLIENT_ID], tokenUse: "id" });

/** A REST proxy event as the deployed stage passes it: with the Cognito authorizer's claims. */
function event(
  method: string,
  path: string,
  query?: Record<string, string>,
  headers: Record<string, string> = {},
): APIGatewayProxyEvent {
  const creator = /^\/creators\/([^/]+)/.exec(path)?.[1];
  const claims = creator
    ? {
        sub: `bench-${creator}`,
        aud: BENCH_CLIENT_ID,
        token_use: "id",
        "custom:creator_id": creator,
      }
    : undefined;
  return {
    httpMethod: method,
    path,
    queryStringParameters: query ?? null,
    headers,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: randomUUID(), authorizer: claims ? { claims } : null },
  } as unknown as APIGatewayProxyEvent;
}
const context = { awsRequestId: "bench" } as Context;

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** What a bundle weighs and is made of. */
interface Bundled {
  /** The function's code: the directory Lambda receives (index.js and any file beside it). */
  dir: string;
  /** Bytes per file in the archive, and in total (what the size target counts). */
  files: Record<string, number>;
  bytes: number;
  /** ≈ the zip Lambda receives: each file deflated on its own, as a zip stores it. */
  zipped: number;
  /** Bytes per package (or project folder) in index.js, plus each file beside it; largest first. */
  parts: Array<[string, number]>;
}

/** Size target for the API function's code, in bytes (decimal MB, like Lambda's quotas). */
const BUNDLE_TARGET_BYTES = 3_000_000;

/** Bundled by the infra's own bundler (infra/lib/bundle.ts), so the size is the deployed one. */
function bundle(
  name: string,
  entry: string,
  outRoot: string,
  queryCompilerWasm: "file" | "inline" = "file",
): Bundled {
  const built = bundleFunction({ name, entry, outRoot, cache: false, queryCompilerWasm });
  const output = Object.values(built.metafile?.outputs ?? {})[0];
  const parts = new Map<string, number>();
  for (const [file, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const segments = file.replace(/^node_modules\//, "").split("/");
    let key = segments[0].startsWith("@") ? segments.slice(0, 2).join("/") : segments[0];
    if (file.includes("wasm-base64")) key = "Prisma query compiler (wasm as base64, in index.js)";
    else if (key === "@prisma/client") key = "Prisma client runtime";
    else if (
      /^@(aws-sdk|smithy|aws-crypto)\//.test(key) ||
      key === "bowser" ||
      key === "fast-xml-parser"
    )
      key = "AWS SDK v3 (Secrets Manager)";
    else if (key === "aws-xray-sdk-core" || key === "semver" || key === "cls-hooked")
      key = "X-Ray SDK";
    else if (key === "infra") key = "query compiler loader (infra/lib/query-compiler-wasm.ts)";
    else if (key === "handlers") key = "handlers/ (our code + generated client)";
    parts.set(key, (parts.get(key) ?? 0) + bytesInOutput);
  }
  for (const [file, bytes] of Object.entries(built.files)) {
    if (file === QUERY_COMPILER_WASM_FILE)
      parts.set(`Prisma query compiler (${file}, beside index.js)`, bytes);
    else if (file !== "index.js") parts.set(file, bytes);
  }
  let zipped = 0;
  for (const file of Object.keys(built.files)) {
    zipped += deflateRawSync(readFileSync(join(built.dir, file))).length;
  }
  return {
    dir: built.dir,
    files: built.files,
    bytes: built.bytes,
    zipped,
    parts: [...parts.entries()].sort((a, b) => b[1] - a[1]),
  };
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
      authenticator: gatewayClaims,
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

    // --- 2b. what authorization adds (tools/bench/auth.ts) -------------------------------------
    out.push(
      ...(await authorizationRows(
        database,
        { label: "GET /creators/{id}/revenue (30 days)", path: "/creators/1/revenue", query: {} },
        log,
      )),
    );

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
    log("bundling the API function (query compiler as a file, and inline) and the raw-pg handler…");
    const api = bundle("api", "handlers/api.ts", dir);
    const inline = bundle("api-inline", "handlers/api.ts", dir, "inline");
    const rawPg = bundle("raw-pg", "tools/bench/handlers-fixtures/raw-pg-handler.ts", dir);
    const indexBytes = (b: Bundled) => b.files["index.js"] ?? 0;
    const wasmBytes = (b: Bundled) => b.files[QUERY_COMPILER_WASM_FILE] ?? 0;
    const met = api.bytes <= BUNDLE_TARGET_BYTES;
    const verdict = `bundle ≤ ${BUNDLE_TARGET_BYTES / 1e6} MB (API function, all files of the archive: index.js + ${QUERY_COMPILER_WASM_FILE}): ${mb(api.bytes)} → ${met ? "met" : "NOT met"} (${((100 * api.bytes) / BUNDLE_TARGET_BYTES).toFixed(0)} % of the target; the inlined build was ${mb(inline.bytes)})`;
    out.push(
      "### API function bundle (infra/lib/bundle.ts: esbuild, minified CJS, node22, everything bundled)",
      "",
      `Size = every file of the directory Lambda receives (the archive's content, unzipped). Zipped ≈ each file deflated on its own, as the zip stores it. Target: ${verdict}.`,
      "",
      `| bundle | index.js | ${QUERY_COMPILER_WASM_FILE} | size (all files) | zipped ≈ |`,
      "|---|---:|---:|---:|---:|",
      `| handlers/api.ts, query compiler as a file (as deployed) | ${mb(indexBytes(api))} | ${mb(wasmBytes(api))} | **${mb(api.bytes)}** | ${mb(api.zipped)} |`,
      `| handlers/api.ts, query compiler inlined as base64 (Prisma's default; before) | ${mb(indexBytes(inline))} | — | ${mb(inline.bytes)} | ${mb(inline.zipped)} |`,
      `| raw-pg handler (baseline) | ${kb(indexBytes(rawPg))} | — | ${kb(rawPg.bytes)} | ${kb(rawPg.zipped)} |`,
      "",
      "What the deployed API bundle is made of:",
      "",
      "| part | size | share |",
      "|---|---:|---:|",
      ...api.parts
        .slice(0, 9)
        .map(
          ([part, bytes]) =>
            `| ${part} | ${kb(bytes)} | ${((100 * bytes) / api.bytes).toFixed(0)} % |`,
        ),
      `| everything else | ${kb(api.parts.slice(9).reduce((sum, [, b]) => sum + b, 0))} | |`,
      "",
    );
    log(
      `bundle: api ${mb(api.bytes)} (index.js ${mb(indexBytes(api))} + wasm ${mb(wasmBytes(api))}), inlined ${mb(inline.bytes)}, raw-pg ${kb(rawPg.bytes)}`,
    );
    log(`target: ${verdict}`);

    const coldEnv = {
      DATABASE_URL: url,
      // What the stack sets: the Cognito authorizer's claims are judged for this client.
      AUTH_AUDIENCE: BENCH_CLIENT_ID,
      POWERTOOLS_LOG_LEVEL: "SILENT",
      STAGE: "",
      AWS_LAMBDA_LOG_LEVEL: "",
    };
    const bundles = {
      file: join(api.dir, "index.js"),
      inline: join(inline.dir, "index.js"),
      raw: join(rawPg.dir, "index.js"),
    };
    const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    for (const node of coldStartNodes(log)) {
      const lambda = majorOf(node.version) === LAMBDA_NODE_MAJOR;
      const figures = measureColdStarts(
        node.path,
        bundles,
        event("GET", "/creators/1/fans", { limit: "20" }),
        coldEnv,
        COLD_RUNS,
      );
      const coldOf = (key: keyof typeof bundles) => {
        const { importMs: imp, firstRequestMs: first } = figures[key] as ColdStartFigures;
        return { imp, first, total: imp + first };
      };
      const file = coldOf("file");
      const inl = coldOf("inline");
      const base = coldOf("raw");
      out.push(
        `### Cold start on Node ${node.version}${lambda ? " (Lambda's runtime major)" : ` (Lambda runs Node ${LAMBDA_NODE_MAJOR})`}: fresh Node process, \`require(bundle)\` then the first GET /creators/1/fans?limit=20 (median of ${COLD_RUNS}, the three bundles alternated)`,
        "",
        "The first request builds the client: it starts opening the first connection, reads and compiles the query compiler meanwhile, then runs the query.",
        "",
        "| bundle | require | first request | total | total / raw pg |",
        "|---|---:|---:|---:|---:|",
        `| API function, query compiler as a file (as deployed) | ${ms(file.imp)} ms | ${ms(file.first)} ms | ${ms(file.total)} ms | ${x(file.total, base.total)} |`,
        `| API function, query compiler inlined (before) | ${ms(inl.imp)} ms | ${ms(inl.first)} ms | ${ms(inl.total)} ms | ${x(inl.total, base.total)} |`,
        `| raw-pg handler (baseline) | ${ms(base.imp)} ms | ${ms(base.first)} ms | ${ms(base.total)} ms | 1.00× |`,
        `| file / inlined | ${x(file.imp, inl.imp)} | ${x(file.first, inl.first)} | ${x(file.total, inl.total)} | |`,
        "",
      );
      log(
        `cold start (Node ${node.version}): file ${ms(file.imp)} + ${ms(file.first)} ms, inlined ${ms(inl.imp)} + ${ms(inl.first)} ms, raw ${ms(base.imp)} + ${ms(base.first)} ms`,
      );
    }
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
