/**
 * One esbuild bundle per function, deterministic and cached.
 *
 * Deterministic: the same sources give byte-identical output (esbuild is deterministic; no
 * timestamps, absolute paths or source maps go in), and the output directory is named after the
 * hash of its contents. Pulumi hashes an archive by its contents, so an unchanged handler shows
 * no diff; `sourceCodeHash` carries the same hash for the provider.
 *
 * Cached: `.build/lambda/<name>.json` records the inputs esbuild read (from its metafile) with
 * their size, mtime and content hash. When every input still has its recorded size and mtime, or
 * (if not) still its recorded content, the previous output is reused without running esbuild.
 * Dependencies count as one input, npm's record of the installed tree
 * (`node_modules/.package-lock.json`, rewritten by every npm command that changes
 * `node_modules`): stat-checking the ~950 dependency files of each bundle cost ~25 ms per
 * function on every preview, bundling costs ~300. A hand edit inside `node_modules` is not
 * seen; `rm -rf .build` forces a rebuild.
 *
 * Prisma's query compiler ships as a file: the generated client imports it as a base64 string
 * module (2.3 MB of JavaScript, 71 % of the API bundle). Each such module is aliased to
 * `query-compiler-wasm.ts`, which reads `query_compiler_bg.wasm` beside `index.js` when the
 * client first needs it, and the bytes decoded here at build time become that file. Only the
 * bundles see this: `npm run dev`, tests and the bench run the sources with the real module.
 *
 * Modules the handlers only `require()` on first use (LAZY_MODULES: the Powertools Tracer with
 * the X-Ray SDK, the Secrets Manager provider with the AWS SDK, jose — half of the API bundle) ship as
 * their own files, `node_modules/<specifier>.js` beside `index.js`, where Node's resolution
 * finds them: `index.js` no longer carries them, so a cold start that never needs them does not
 * read or parse them, and one that does pays the same as before.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BuildOptions, Message, Metafile } from "esbuild";
import {
  cacheInputs,
  inputsUnchanged,
  type Manifest,
  PROJECT_ROOT,
  pruneOtherBuilds,
  readManifest,
  recordInputs,
  sha256,
  writeAtomic,
} from "./bundle-cache";
import { BundleError } from "./bundle-error";
import {
  QUERY_COMPILER_LOADER,
  QUERY_COMPILER_WASM_FILE,
  queryCompilerFile,
  queryCompilerModules,
} from "./bundle-query-compiler";

export { cacheInputs, PROJECT_ROOT } from "./bundle-cache";
export { BundleError } from "./bundle-error";
export { QUERY_COMPILER_WASM_FILE } from "./bundle-query-compiler";

export const DEFAULT_OUT_ROOT = path.join(PROJECT_ROOT, ".build", "lambda");

/** Bumped when the options below or the manifest change in a way the options hash would not see. */
const BUNDLER_REVISION = 6;

/**
 * Packages the handlers `require()` only on first use, each bundled into its own file. Each file
 * carries its own copy of what it shares with `index.js` (Powertools commons): a few KiB, and
 * Powertools keeps its per-invocation state on a global store, not in module scope.
 */
export const LAZY_MODULES: readonly string[] = [
  "@aws-lambda-powertools/tracer",
  "@aws-lambda-powertools/parameters/secrets",
  // Verifying tokens in the function (AUTH_MODE=jwt, the Lambda authorizer) only.
  "jose",
  // With the first slow query or connection retry (handlers/lib/metrics.ts).
  "@aws-lambda-powertools/metrics",
];

/** Where a lazy module's file goes in the bundle: Node resolves `require(specifier)` to it. */
export function lazyModuleFile(specifier: string): string {
  return `node_modules/${specifier}.js`;
}

export interface BundleOptions {
  /** Logical function name: names the cache entry and output directory (`api`, `worker`). */
  name: string;
  /** Entry module exporting `handler`, absolute or relative to the project root. */
  entry: string;
  /** Where bundles and cache manifests go. @default `<project>/.build/lambda` */
  outRoot?: string;
  /** Reuse the previous output when no input changed. @default true */
  cache?: boolean;
  /** Modules left out of the bundle (must then exist at run time). @default ["pg-native"] */
  external?: string[];
  /**
   * Modules bundled into their own file (`node_modules/<specifier>.js`) instead of `index.js`,
   * when the entry uses them: for packages loaded with `require()` on first use only.
   * @default LAZY_MODULES
   */
  lazyModules?: readonly string[];
  /**
   * Files shipped beside `index.js` as they are (a `.wasm` engine, SQL migrations): part of the
   * bundle's hash, and of its cache inputs, so changing, adding or removing one rebuilds.
   * @default []
   */
  assets?: BundleAsset[];
  /**
   * How Prisma's query compiler ships when the entry uses the generated client: `file` — a
   * `query_compiler_bg.wasm` beside `index.js`, read on the first query; `inline` — the base64
   * module Prisma generates, inside `index.js` (+33 % bytes, all of it parsed at cold start).
   * @default "file"
   */
  queryCompilerWasm?: "file" | "inline";
}

/** A file copied into the bundle: `source` (absolute or relative to the project root) → `target`. */
export interface BundleAsset {
  source: string;
  /** Path inside the bundle, `/`-separated, e.g. `migrations/20261128000000_init/migration.sql`. */
  target: string;
}

export interface Bundle {
  /** Directory holding `index.js` (and any files a loader emitted): the function's code. */
  dir: string;
  /**
   * `dir` relative to the program's working directory when the bundle was made. The engine runs
   * a program whose `main` is `infra/index.ts` from `infra/` and resolves and hashes archive
   * paths from there, so this is `../.build/lambda/<name>-<hash>`: the same on every machine,
   * and only the content decides a diff.
   */
  archivePath: string;
  /** SHA-256 (hex) over the output files' names and bytes. */
  hash: string;
  /** The same hash, base64, the form Lambda's `CodeSha256` and `sourceCodeHash` use. */
  sourceCodeHash: string;
  /** Whether the cache answered (no esbuild run). */
  cached: boolean;
  /** Bytes of the output files. */
  bytes: number;
  /** Each output file (path inside the bundle, `/`-separated) and its bytes, sorted by path. */
  files: Record<string, number>;
  /** esbuild's metafile (what each input contributed), when this call ran esbuild. */
  metafile?: Metafile;
}

function buildOptions(
  input: Pick<BuildOptions, "entryPoints" | "stdin">,
  external: string[],
  alias: Record<string, string>,
): BuildOptions {
  return {
    absWorkingDir: PROJECT_ROOT,
    ...input,
    bundle: true,
    platform: "node",
    // The Lambda runtime is nodejs22.x; its AWS SDK is not used: the bundle carries the pinned one.
    target: "node22",
    format: "cjs",
    // Prefer ES module builds: they tree-shake (the AWS SDK v3 and Powertools ship both).
    mainFields: ["module", "main"],
    minify: true,
    // Readable stack traces in error logs without shipping source maps.
    keepNames: true,
    sourcemap: false,
    legalComments: "none",
    // ASCII output (other characters as \u escapes, the same strings at run time): Node reads an
    // all-ASCII file into a one-byte string, ~1 ms less at cold start than a two-byte copy of
    // the whole bundle forced by a handful of typographic characters.
    charset: "ascii",
    // `import("node:…")` (Prisma's wasm loader, Powertools) becomes `require()`: a real dynamic
    // import would start Node's ES module loader for one built-in, ~4 ms of the first request.
    supported: { "dynamic-import": false },
    external,
    alias,
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
    metafile: true,
    write: false,
    outdir: "out",
  };
}

/** `dir` as the engine will resolve it: from the working directory the program runs in. */
function archivePathOf(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  // Only another drive (Windows) leaves no relative path.
  return path.isAbsolute(rel) ? dir : rel.split(path.sep).join("/");
}

function explain(entry: string, errors: Message[]): string {
  const relEntry = path.relative(PROJECT_ROOT, entry);
  const first = errors[0];
  const text = first?.text ?? "unknown esbuild error";
  if (
    /generated[\\/]prisma/.test(text) ||
    /generated[\\/]prisma/.test(first?.location?.lineText ?? "")
  ) {
    return `bundling ${relEntry} failed: the Prisma client (handlers/generated/prisma) is missing; run \`npm run generate\` first (${text})`;
  }
  const where = first?.location ? ` at ${first.location.file}:${first.location.line}` : "";
  const more = errors.length > 1 ? ` (+${errors.length - 1} more errors)` : "";
  return `bundling ${relEntry} failed${where}: ${text}${more}`;
}

/** Assets with their source relative to the project root (as cache inputs are recorded). */
function normalizeAssets(
  name: string,
  assets: BundleAsset[],
  reserved: string[],
): Array<{ rel: string; target: string }> {
  const seen = new Set<string>(["index.js", ...reserved]);
  return assets.map((asset) => {
    const full = path.resolve(PROJECT_ROOT, asset.source);
    const rel = path.relative(PROJECT_ROOT, full).split(path.sep).join("/");
    const target = asset.target.split(path.sep).join("/");
    if (rel.startsWith("..") || path.isAbsolute(rel) || !fs.existsSync(full)) {
      throw new BundleError(
        `bundling ${name} failed: the asset ${asset.source} must be an existing file inside the project`,
      );
    }
    if (target.startsWith("/") || target.split("/").includes("..") || seen.has(target)) {
      throw new BundleError(
        `bundling ${name} failed: the asset target ${asset.target} must be a relative path inside the bundle, used once (index.js${reserved.map((r) => `, ${r}`).join("")} are the bundler's)`,
      );
    }
    seen.add(target);
    return { rel, target };
  });
}

/**
 * Bundles `entry` into `<outRoot>/<name>-<hash16>/index.js`, or returns the cached bundle when
 * none of its inputs changed. Synchronous: it runs while the program declares resources.
 */
export function bundleFunction(options: BundleOptions): Bundle {
  const outRoot = options.outRoot ?? DEFAULT_OUT_ROOT;
  const entry = path.resolve(PROJECT_ROOT, options.entry);
  const external = options.external ?? ["pg-native"];
  if (!fs.existsSync(entry)) {
    throw new BundleError(
      `bundling ${options.name} failed: the entry point ${path.relative(PROJECT_ROOT, entry)} does not exist`,
    );
  }
  const lazyModules = [...(options.lazyModules ?? LAZY_MODULES)].sort();
  for (const specifier of lazyModules) {
    if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w.-]+)*$/.test(specifier)) {
      throw new BundleError(
        `bundling ${options.name} failed: lazyModules must hold package names or subpaths such as "@scope/pkg/sub" (got ${JSON.stringify(specifier)})`,
      );
    }
  }
  const wasmMode = options.queryCompilerWasm ?? "file";
  if (wasmMode !== "file" && wasmMode !== "inline") {
    throw new BundleError(
      `bundling ${options.name} failed: queryCompilerWasm must be "file" or "inline" (got ${JSON.stringify(wasmMode)})`,
    );
  }
  const assets = normalizeAssets(
    options.name,
    options.assets ?? [],
    wasmMode === "file" ? [QUERY_COMPILER_WASM_FILE] : [],
  );
  // Loaded lazily: a run whose bundles are all cached never starts esbuild's service.
  const esbuildVersion = (require("esbuild/package.json") as { version: string }).version;
  const optionsHash = sha256(
    JSON.stringify({
      revision: BUNDLER_REVISION,
      esbuildVersion,
      entry,
      external,
      ...(lazyModules.length > 0 ? { lazyModules } : {}),
      queryCompilerWasm: wasmMode,
      // The asset list is part of the options: adding or removing a file rebuilds.
      ...(assets.length > 0 ? { assets: assets.map((a) => [a.rel, a.target]) } : {}),
    }),
  );
  const manifestFile = path.join(outRoot, `${options.name}.json`);

  if (options.cache !== false) {
    const manifest = readManifest(manifestFile);
    if (
      manifest &&
      manifest.revision === BUNDLER_REVISION &&
      manifest.optionsHash === optionsHash
    ) {
      const dir = path.join(outRoot, `${options.name}-${manifest.hash.slice(0, 16)}`);
      if (fs.existsSync(path.join(dir, "index.js")) && inputsUnchanged(manifest.inputs)) {
        return {
          dir,
          archivePath: archivePathOf(dir),
          hash: manifest.hash,
          sourceCodeHash: Buffer.from(manifest.hash, "hex").toString("base64"),
          cached: true,
          bytes: manifest.bytes,
          files: manifest.files,
        };
      }
    }
  }

  const esbuild = require("esbuild") as typeof import("esbuild");
  // esbuild's plugins need its async API; an alias keeps bundling synchronous.
  const compilerModules = wasmMode === "file" ? queryCompilerModules() : new Map<string, string>();
  const alias = Object.fromEntries(
    [...compilerModules.keys()].map((s) => [s, QUERY_COMPILER_LOADER]),
  );
  const build = (input: Pick<BuildOptions, "entryPoints" | "stdin">, outside: string[]) => {
    try {
      return esbuild.buildSync(buildOptions(input, outside, alias));
    } catch (err) {
      const errors = (err as { errors?: Message[] }).errors ?? [];
      throw new BundleError(
        errors.length > 0
          ? explain(entry, errors)
          : `bundling ${path.relative(PROJECT_ROOT, entry)} failed: ${(err as Error).message}`,
      );
    }
  };
  const result = build({ entryPoints: { index: entry } }, [...external, ...lazyModules]);
  // Each lazy module the entry imports becomes its own file, everything it needs inside.
  const usedLazy = new Set<string>();
  for (const input of Object.values(result.metafile?.inputs ?? {})) {
    for (const imported of input.imports) {
      if (imported.external && lazyModules.includes(imported.path)) usedLazy.add(imported.path);
    }
  }
  const lazyBuilds = [...usedLazy].sort().map((specifier) => ({
    rel: lazyModuleFile(specifier),
    result: build(
      {
        stdin: {
          contents: `module.exports = require(${JSON.stringify(specifier)});`,
          resolveDir: PROJECT_ROOT,
          sourcefile: `<lazy ${specifier}>`,
          loader: "js",
        },
      },
      external,
    ),
  }));

  for (const lazy of lazyBuilds) {
    if (assets.some((a) => a.target === lazy.rel)) {
      throw new BundleError(
        `bundling ${options.name} failed: the asset target ${lazy.rel} is where the bundler puts the lazily required module; choose another target`,
      );
    }
  }
  const compiler = queryCompilerFile(options.name, result.metafile, compilerModules);
  const outBase = path.join(PROJECT_ROOT, "out");
  const files = (result.outputFiles ?? [])
    .map((f) => ({
      rel: path.relative(outBase, f.path).split(path.sep).join("/"),
      contents: f.contents,
    }))
    .concat(
      assets.map((a) => ({
        rel: a.target,
        contents: new Uint8Array(fs.readFileSync(path.join(PROJECT_ROOT, a.rel))),
      })),
      compiler ? [{ rel: QUERY_COMPILER_WASM_FILE, contents: compiler.contents }] : [],
      lazyBuilds.map((lazy) => ({
        rel: lazy.rel,
        contents: lazy.result.outputFiles?.[0]?.contents ?? new Uint8Array(),
      })),
    )
    .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const digest = createHash("sha256");
  let bytes = 0;
  const sizes: Record<string, number> = {};
  for (const f of files) {
    digest.update(`${f.rel}\0${f.contents.length}\0`);
    digest.update(f.contents);
    bytes += f.contents.length;
    sizes[f.rel] = f.contents.length;
  }
  const hash = digest.digest("hex");
  const dir = path.join(outRoot, `${options.name}-${hash.slice(0, 16)}`);

  if (!fs.existsSync(path.join(dir, "index.js"))) {
    const staging = `${dir}.${process.pid}.tmp`;
    fs.rmSync(staging, { recursive: true, force: true });
    for (const f of files) {
      const target = path.join(staging, f.rel);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, f.contents);
    }
    try {
      fs.renameSync(staging, dir);
    } catch {
      // Another process published the same content-addressed directory first: same bytes.
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  pruneOtherBuilds(outRoot, options.name, dir);

  const inputFiles = [result, ...lazyBuilds.map((lazy) => lazy.result)]
    .flatMap((r) => Object.keys(r.metafile?.inputs ?? {}))
    .filter((f, i, all) => !f.startsWith("<") && all.indexOf(f) === i)
    .concat(assets.map((a) => a.rel))
    // Aliased away, so not in the metafile: a Prisma upgrade must still rebuild.
    .concat(
      compiler ? [path.relative(PROJECT_ROOT, compiler.source).split(path.sep).join("/")] : [],
    );
  const inputs = recordInputs(cacheInputs(inputFiles));
  if (options.cache !== false && inputs) {
    fs.mkdirSync(outRoot, { recursive: true });
    const manifest: Manifest = {
      revision: BUNDLER_REVISION,
      optionsHash,
      inputs,
      hash,
      bytes,
      files: sizes,
    };
    writeAtomic(manifestFile, JSON.stringify(manifest));
  }
  return {
    dir,
    archivePath: archivePathOf(dir),
    hash,
    sourceCodeHash: Buffer.from(hash, "hex").toString("base64"),
    cached: false,
    bytes,
    files: sizes,
    metafile: result.metafile,
  };
}
