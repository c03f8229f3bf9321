import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  type Bundle,
  BundleError,
  bundleFunction,
  cacheInputs,
  LAZY_MODULES,
  lazyModuleFile,
  PROJECT_ROOT,
  QUERY_COMPILER_WASM_FILE,
} from "../../infra/lib/bundle";
// Imported statically, with the handler tests' copy: the schema engine's wasm glue holds one
// instance per process, and a second copy of handlers/lib (re-loaded after the preview harness
// clears the require cache) would re-instantiate it under the first one's live objects.
import { migratedDatabase } from "../handlers/helpers";
import type { TestDatabase } from "../support/database";

describe("function bundles (infra/lib/bundle.ts)", () => {
  let tmp: string;
  let entry: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-bundle-"));
    entry = path.join(tmp, "handler.ts");
    fs.writeFileSync(
      path.join(tmp, "greeting.ts"),
      'export function greeting(name: string): string { return "hello " + name; }\n',
    );
    fs.writeFileSync(
      entry,
      'import { greeting } from "./greeting";\nexport async function handler() { return greeting("lambda"); }\n',
    );
  });

  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("produces byte-identical output for unchanged sources, so an unchanged handler shows no diff", () => {
    const first = bundleFunction({ name: "fn", entry, outRoot: path.join(tmp, "a"), cache: false });
    const second = bundleFunction({
      name: "fn",
      entry,
      outRoot: path.join(tmp, "b"),
      cache: false,
    });
    assert.equal(first.cached, false);
    assert.equal(second.cached, false);
    assert.equal(first.hash, second.hash);
    assert.deepEqual(
      fs.readFileSync(path.join(first.dir, "index.js")),
      fs.readFileSync(path.join(second.dir, "index.js")),
    );
    assert.equal(path.basename(first.dir), path.basename(second.dir), "content-addressed path");
    assert.equal(first.sourceCodeHash, Buffer.from(first.hash, "hex").toString("base64"));
  });

  it("changes the hash when an imported module changes", () => {
    const before = bundleFunction({ name: "fn", entry, outRoot: tmp, cache: false });
    fs.writeFileSync(
      path.join(tmp, "greeting.ts"),
      'export function greeting(name: string): string { return "hi " + name; }\n',
    );
    const after = bundleFunction({ name: "fn", entry, outRoot: tmp, cache: false });
    assert.notEqual(before.hash, after.hash);
  });

  it("reuses the cached bundle while no input changed and rebuilds when one did", () => {
    const outRoot = path.join(tmp, "cache");
    const built = bundleFunction({ name: "fn", entry, outRoot });
    const reused = bundleFunction({ name: "fn", entry, outRoot });
    assert.equal(built.cached, false);
    assert.equal(reused.cached, true);
    assert.equal(reused.hash, built.hash);
    assert.equal(reused.dir, built.dir);

    fs.writeFileSync(
      path.join(tmp, "greeting.ts"),
      'export function greeting(name: string): string { return "hey " + name; }\n',
    );
    const rebuilt = bundleFunction({ name: "fn", entry, outRoot });
    assert.equal(rebuilt.cached, false);
    assert.notEqual(rebuilt.hash, built.hash);
  });

  it("keeps only the current output of a function after a rebuild", () => {
    const outRoot = path.join(tmp, "cache");
    const first = bundleFunction({ name: "fn", entry, outRoot });
    const other = bundleFunction({ name: "fn-other", entry, outRoot });
    fs.writeFileSync(
      path.join(tmp, "greeting.ts"),
      'export function greeting(name: string): string { return "yo " + name; }\n',
    );
    const second = bundleFunction({ name: "fn", entry, outRoot });
    assert.notEqual(second.dir, first.dir);
    assert.equal(fs.existsSync(first.dir), false, "the superseded output is removed");
    assert.equal(fs.existsSync(path.join(second.dir, "index.js")), true);
    assert.equal(fs.existsSync(other.dir), true, "another function's output is left alone");
  });

  it("tells a touched but unchanged input from an edit of the same size", () => {
    const outRoot = path.join(tmp, "cache");
    const greeting = path.join(tmp, "greeting.ts");
    const built = bundleFunction({ name: "fn", entry, outRoot });
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(greeting, later, later);
    assert.equal(bundleFunction({ name: "fn", entry, outRoot }).cached, true, "only touched");

    fs.writeFileSync(greeting, fs.readFileSync(greeting, "utf8").replace("hello", "howdy"));
    const evenLater = new Date(Date.now() + 10000);
    fs.utimesSync(greeting, evenLater, evenLater);
    const rebuilt = bundleFunction({ name: "fn", entry, outRoot });
    assert.equal(rebuilt.cached, false, "same size, new content");
    assert.notEqual(rebuilt.hash, built.hash);
  });

  it("records the project's dependencies as npm's installed tree, not file by file", () => {
    const outRoot = path.join(tmp, "cache");
    // Inside the project, so that the dependency resolves from its node_modules.
    const dir = fs.mkdtempSync(path.join(PROJECT_ROOT, ".build", "bundle-test-"));
    const inProject = path.join(dir, "handler.ts");
    fs.writeFileSync(
      inProject,
      'import { load } from "js-yaml";\nexport async function handler() { return load("a: 1"); }\n',
    );
    try {
      bundleFunction({ name: "fn", entry: inProject, outRoot });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(outRoot, "fn.json"), "utf8")) as {
      inputs: Record<string, unknown>;
    };
    const recorded = Object.keys(manifest.inputs);
    assert.deepEqual(
      recorded.filter((f) => f.startsWith("node_modules/")),
      ["node_modules/.package-lock.json"],
    );
    assert.ok(
      recorded.some((f) => f.endsWith("handler.ts")),
      "the entry is recorded itself",
    );
  });

  it("keeps per-file records for dependencies outside the project's node_modules", () => {
    assert.deepEqual(cacheInputs(["handlers/api.ts", "../elsewhere/node_modules/x/index.js"]), [
      "handlers/api.ts",
      "../elsewhere/node_modules/x/index.js",
    ]);
    assert.deepEqual(cacheInputs(["handlers/api.ts", "node_modules/pg/lib/index.js"]), [
      "handlers/api.ts",
      "node_modules/.package-lock.json",
    ]);
  });

  it("emits one CommonJS file exporting the handler", async () => {
    const bundle = bundleFunction({ name: "fn", entry, outRoot: tmp, cache: false });
    assert.deepEqual(fs.readdirSync(bundle.dir), ["index.js"]);
    const mod = require(path.join(bundle.dir, "index.js")) as { handler: () => Promise<string> };
    assert.equal(await mod.handler(), "hello lambda");
  });

  it("tells to run `npm run generate` when the generated Prisma client is missing", () => {
    fs.writeFileSync(
      entry,
      'import { PrismaClient } from "./generated/prisma/client";\nexport const handler = async () => new PrismaClient();\n',
    );
    assert.throws(
      () => bundleFunction({ name: "fn", entry, outRoot: tmp, cache: false }),
      (err: Error) =>
        err instanceof BundleError &&
        err.message.includes("the Prisma client (handlers/generated/prisma) is missing") &&
        err.message.includes("run `npm run generate` first"),
    );
  });

  it("names the entry point when it does not exist", () => {
    assert.throws(
      () => bundleFunction({ name: "fn", entry: path.join(tmp, "nope.ts"), outRoot: tmp }),
      /bundling fn failed: the entry point .*nope\.ts does not exist/,
    );
  });

  for (const handler of ["handlers/api.ts", "handlers/worker.ts"]) {
    it(`bundles the real ${handler} byte-identically twice, query compiler file included`, () => {
      const first = bundleFunction({
        name: "real",
        entry: handler,
        outRoot: path.join(tmp, "one"),
        cache: false,
      });
      const second = bundleFunction({
        name: "real",
        entry: handler,
        outRoot: path.join(tmp, "two"),
        cache: false,
      });
      assert.equal(first.hash, second.hash);
      assert.equal(first.bytes, second.bytes);
      assert.deepEqual(fs.readdirSync(first.dir), [
        "index.js",
        "node_modules",
        QUERY_COMPILER_WASM_FILE,
      ]);
      for (const file of Object.keys(first.files)) {
        assert.ok(
          fs
            .readFileSync(path.join(first.dir, file))
            .equals(fs.readFileSync(path.join(second.dir, file))),
          `${file} differs between two builds`,
        );
      }
    });
  }

  it("ships Prisma's query compiler as a valid .wasm file beside index.js, not as base64 inside it", () => {
    const bundle = bundleFunction({
      name: "api",
      entry: "handlers/api.ts",
      outRoot: tmp,
      cache: false,
    });
    const wasm = fs.readFileSync(path.join(bundle.dir, QUERY_COMPILER_WASM_FILE));
    assert.equal(
      wasm.toString("base64"),
      inlinedCompiler(),
      "the bytes of the generated client's compiler",
    );
    // The project's TypeScript lib has no WebAssembly types; the runtime has the global.
    const { WebAssembly: wasmApi } = globalThis as unknown as {
      WebAssembly: { validate(bytes: Uint8Array): boolean };
    };
    assert.ok(wasmApi.validate(wasm), "a module WebAssembly accepts");
    const index = fs.readFileSync(path.join(bundle.dir, "index.js"), "utf8");
    assert.ok(!index.includes(inlinedCompiler().slice(0, 200)), "no base64 copy left in index.js");
    const lazy = Object.fromEntries(
      LAZY_MODULES.map((m) => [
        lazyModuleFile(m),
        fs.statSync(path.join(bundle.dir, lazyModuleFile(m))).size,
      ]),
    );
    assert.deepEqual(bundle.files, {
      "index.js": Buffer.byteLength(index),
      ...lazy,
      [QUERY_COMPILER_WASM_FILE]: wasm.length,
    });
    assert.equal(
      bundle.bytes,
      Object.values(bundle.files).reduce((sum, n) => sum + n, 0),
    );
  });

  it("ships the modules required on first use as their own files, where require() finds them", () => {
    const bundle = bundleFunction({
      name: "api",
      entry: "handlers/api.ts",
      outRoot: tmp,
      cache: false,
    });
    const index = fs.readFileSync(path.join(bundle.dir, "index.js"), "utf8");
    const fromIndex = createRequire(path.join(bundle.dir, "index.js"));
    for (const specifier of LAZY_MODULES) {
      // index.js requires the package by name instead of carrying it...
      assert.ok(index.includes(`require("${specifier}")`), `index.js requires ${specifier}`);
      // ...and Node resolves that name, from index.js, to the file shipped beside it (the
      // bundle lives in the OS temp directory: no node_modules of the project above it).
      assert.equal(fromIndex.resolve(specifier), path.join(bundle.dir, lazyModuleFile(specifier)));
    }
    // Each file works on its own: what secrets.ts and tracer.ts take from them.
    const secrets = fromIndex("@aws-lambda-powertools/parameters/secrets") as {
      SecretsProvider: new (o: object) => { get: unknown };
    };
    assert.equal(typeof new secrets.SecretsProvider({}).get, "function");
    const tracing = fromIndex("@aws-lambda-powertools/tracer") as {
      Tracer: new (o: object) => { isTracingEnabled(): boolean };
    };
    assert.equal(new tracing.Tracer({ serviceName: "bundle-test" }).isTracingEnabled(), false);
    // The X-Ray and AWS SDKs are no longer in index.js.
    assert.doesNotMatch(index, /aws-xray-sdk|SecretsManagerClient/);
  });

  it("refuses a lazy module that is not a package name", () => {
    assert.throws(
      () =>
        bundleFunction({
          name: "fn",
          entry,
          outRoot: tmp,
          cache: false,
          lazyModules: ["../escape"],
        }),
      (err: unknown) =>
        err instanceof BundleError && /lazyModules must hold package names/.test(err.message),
    );
  });

  it("ships no lazy file for a module the entry does not use", () => {
    const bundle = bundleFunction({ name: "fn", entry, outRoot: tmp, cache: false });
    assert.deepEqual(fs.readdirSync(bundle.dir), ["index.js"]);
  });

  it("inlines the query compiler as Prisma generates it when asked to (queryCompilerWasm: inline)", () => {
    const bundle = bundleFunction({
      name: "api",
      entry: "handlers/api.ts",
      outRoot: tmp,
      cache: false,
      queryCompilerWasm: "inline",
    });
    assert.deepEqual(
      Object.keys(bundle.files),
      ["index.js", ...LAZY_MODULES.map(lazyModuleFile)].sort(),
    );
    const index = fs.readFileSync(path.join(bundle.dir, "index.js"), "utf8");
    assert.ok(index.includes(inlinedCompiler().slice(0, 200)));
  });

  it("ships no query compiler in a bundle that does not use the Prisma client", () => {
    const bundle = bundleFunction({ name: "fn", entry, outRoot: tmp, cache: false });
    assert.deepEqual(Object.keys(bundle.files), ["index.js"]);
  });

  it("keeps the query compiler's name for itself: an asset cannot overwrite it", () => {
    assert.throws(
      () =>
        bundleFunction({
          name: "fn",
          entry,
          outRoot: tmp,
          cache: false,
          assets: [{ source: "package.json", target: QUERY_COMPILER_WASM_FILE }],
        }),
      /asset target query_compiler_bg\.wasm must be .* used once \(index\.js, query_compiler_bg\.wasm are the bundler's\)/,
    );
  });

  it("reports the cached bundle's files as the build did", () => {
    const outRoot = path.join(tmp, "cache");
    const built = bundleFunction({ name: "api", entry: "handlers/api.ts", outRoot });
    const reused = bundleFunction({ name: "api", entry: "handlers/api.ts", outRoot });
    assert.equal(reused.cached, true);
    assert.deepEqual(reused.files, built.files);
    const listed = (fs.readdirSync(reused.dir, { recursive: true }) as string[])
      .filter((f) => fs.statSync(path.join(reused.dir, f)).isFile())
      .map((f) => f.split(path.sep).join("/"))
      .sort();
    assert.deepEqual(listed, Object.keys(built.files));
  });
});

/** The base64 text of the query compiler the generated client imports. */
function inlinedCompiler(): string {
  const { wasm } =
    require("@prisma/client/runtime/query_compiler_small_bg.postgresql.wasm-base64.js") as {
      wasm: string;
    };
  return wasm;
}

/**
 * Runs a bundle as Lambda would: a fresh Node process, the bundle directory copied outside the
 * project (nothing resolvable from node_modules), one `require`, then events through `handler`.
 */
const RUNNER = `
const fs = require("node:fs");
const [bundle, eventsFile, resultFile] = process.argv.slice(2);
const before = new Set(process.moduleLoadList);
const context = { awsRequestId: "bundle-e2e", callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 29000 };
const { handler } = require(bundle);
(async () => {
  const results = [];
  for (const event of JSON.parse(fs.readFileSync(eventsFile, "utf8"))) results.push(await handler(event, context));
  const loaded = process.moduleLoadList.filter((m) => !before.has(m));
  fs.writeFileSync(resultFile, JSON.stringify({ results, loaded }));
  process.exit(0);
})().catch((err) => { process.stderr.write(String(err && err.stack)); process.exit(1); });
`;

/** The app client id the bundle is told to accept (the stack sets AUTH_AUDIENCE). */
const E2E_CLIENT_ID = "bundlee2eclient";

interface RunResult {
  responses: Array<{ statusCode: number; body: string }>;
  /** What the bundle logged (Powertools JSON lines). */
  output: string;
  /** Node's internal modules the process loaded while requiring the bundle and serving. */
  loaded: string[];
}

async function runBundle(
  dir: string,
  paths: string[],
  env: Record<string, string>,
): Promise<RunResult> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-bundle-run-"));
  try {
    const runner = path.join(work, "runner.js");
    const events = path.join(work, "events.json");
    const results = path.join(work, "results.json");
    fs.writeFileSync(runner, RUNNER);
    fs.writeFileSync(
      events,
      JSON.stringify(
        paths.map((p) => {
          const url = new URL(p, "http://localhost");
          // What the stage's Cognito authorizer passes for the creator of the path.
          const creator = /^\/creators\/([^/]+)/.exec(url.pathname)?.[1];
          const claims = creator
            ? { sub: "e2e", aud: E2E_CLIENT_ID, token_use: "id", "custom:creator_id": creator }
            : undefined;
          return {
            httpMethod: "GET",
            path: url.pathname,
            queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : null,
            headers: {},
            body: null,
            isBase64Encoded: false,
            requestContext: {
              requestId: `e2e-${p}`,
              authorizer: claims ? { claims } : null,
            },
          };
        }),
      ),
    );
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [runner, path.join(dir, "index.js"), events, results],
      {
        cwd: work,
        // Only what Lambda would set, plus the local connection: no project paths leak in.
        env: { PATH: process.env.PATH ?? "", AUTH_AUDIENCE: E2E_CLIENT_ID, ...env },
        timeout: 30_000,
      },
    );
    const written = JSON.parse(fs.readFileSync(results, "utf8"));
    return { responses: written.results, output: stdout + stderr, loaded: written.loaded };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

describe("the API function's bundle, run outside the project", () => {
  let outside: string;
  let bundle: Bundle;
  let db: TestDatabase;

  before(async () => {
    outside = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-api-bundle-"));
    bundle = bundleFunction({
      name: "api-e2e",
      entry: "handlers/api.ts",
      outRoot: path.join(outside, "build"),
      cache: false,
    });
    fs.cpSync(bundle.dir, path.join(outside, "var-task"), { recursive: true });
    fs.mkdirSync(path.join(outside, "index-only"));
    fs.copyFileSync(
      path.join(bundle.dir, "index.js"),
      path.join(outside, "index-only", "index.js"),
    );
    db = await migratedDatabase("api_bundle");
  });

  after(async () => {
    await db?.drop();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it("answers /health and a Prisma model query with the query compiler read from its .wasm file", async () => {
    const { responses } = await runBundle(
      path.join(outside, "var-task"),
      // The fans page is SQL through Prisma; an unknown creator's empty page then runs a model
      // query (creator.findUnique), which the query compiler plans.
      ["/health", "/creators/1/fans?limit=3", "/creators/2000000000/fans"],
      { DATABASE_URL: db.url, POWERTOOLS_LOG_LEVEL: "SILENT" },
    );
    const [health, fans, unknown] = responses;
    assert.equal(unknown.statusCode, 404, unknown.body);
    assert.match(JSON.parse(unknown.body).error.message, /Creator 2000000000 was not found/);
    assert.equal(health.statusCode, 200, health.body);
    const healthBody = JSON.parse(health.body);
    assert.equal(healthBody.status, "ok");
    assert.equal(healthBody.connectionMode, "adapter-pg");
    assert.equal(fans.statusCode, 200, fans.body);
    const page = JSON.parse(fans.body) as { data: Array<{ id: number }> };
    assert.equal(page.data.length, 3);
  });

  it("serves its first query without starting Node's ES module loader (a cold start's ~4 ms)", async () => {
    const { responses, loaded } = await runBundle(
      path.join(outside, "var-task"),
      ["/creators/1/fans?limit=3"],
      { DATABASE_URL: db.url, POWERTOOLS_LOG_LEVEL: "SILENT" },
    );
    assert.equal(responses[0].statusCode, 200, responses[0].body);
    assert.ok(loaded.length > 0, "the runner sees what the bundle loads");
    assert.deepEqual(
      loaded.filter((m) => m.includes("internal/modules/esm/")),
      [],
      "no dynamic import() left in the bundle",
    );
  });

  it("loads without the .wasm file, and its first query fails naming the missing file", async () => {
    const { responses, output } = await runBundle(path.join(outside, "index-only"), ["/health"], {
      DATABASE_URL: db.url,
      POWERTOOLS_LOG_LEVEL: "ERROR",
    });
    assert.equal(responses[0].statusCode, 503);
    assert.match(
      output,
      /query compiler .*query_compiler_bg\.wasm is missing or unreadable.*deploy the whole bundle directory/,
    );
    assert.doesNotMatch(responses[0].body, /query_compiler/, "the client sees a minimal error");
  });
});
