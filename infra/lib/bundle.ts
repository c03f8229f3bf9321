/**
 * One esbuild bundle per function, deterministic and cached.
 *
 * Deterministic: the same sources give byte-identical output (esbuild is deterministic; no
 * timestamps, absolute paths or source maps go in), and the output directory is named after the
 * hash of its contents. Pulumi hashes an archive by its contents, so an unchanged handler shows
 * no diff; `sourceCodeHash` carries the same hash for the provider.
 *
 * Cached: `.build/lambda/<name>.json` records every input esbuild read (from its metafile) with
 * its size, mtime and content hash. When every input still has its recorded size and mtime, or
 * (if not) still its recorded content, the previous output is reused without running esbuild.
 * Checking ~1 000 inputs by stat costs a few milliseconds; bundling them costs ~300.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BuildOptions, Message } from "esbuild";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const DEFAULT_OUT_ROOT = path.join(PROJECT_ROOT, ".build", "lambda");

/** Bumped when the options below or the manifest change in a way the options hash would not see. */
const BUNDLER_REVISION = 2;

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
   * Files shipped beside `index.js` as they are (a `.wasm` engine, SQL migrations): part of the
   * bundle's hash, and of its cache inputs, so changing, adding or removing one rebuilds.
   * @default []
   */
  assets?: BundleAsset[];
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
   * `dir` relative to the project root (the working directory of `pulumi up`), so the
   * archive's recorded path is the same on every machine and only its content decides a diff.
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
}

/** What identifies one input: its content hash, and the stat that lets us skip reading it. */
interface InputRecord {
  sha256: string;
  size: number;
  mtimeMs: number;
}

interface Manifest {
  revision: number;
  optionsHash: string;
  inputs: Record<string, InputRecord>;
  hash: string;
  bytes: number;
}

/** Bundling failed: the message says which entry and what to do. */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundleError";
  }
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function buildOptions(entry: string, external: string[]): BuildOptions {
  return {
    absWorkingDir: PROJECT_ROOT,
    entryPoints: { index: entry },
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
    charset: "utf8",
    external,
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
    metafile: true,
    write: false,
    outdir: "out",
  };
}

function archivePathOf(dir: string): string {
  const rel = path.relative(PROJECT_ROOT, dir);
  return rel.startsWith("..") || path.isAbsolute(rel) ? dir : rel.split(path.sep).join("/");
}

function recordInputs(files: string[]): Record<string, InputRecord> | undefined {
  const inputs: Record<string, InputRecord> = {};
  for (const file of files) {
    try {
      const full = path.join(PROJECT_ROOT, file);
      const stat = fs.statSync(full);
      inputs[file] = {
        sha256: sha256(fs.readFileSync(full)),
        size: stat.size,
        mtimeMs: stat.mtimeMs,
      };
    } catch {
      return undefined;
    }
  }
  return inputs;
}

/**
 * Whether every recorded input is unchanged: same size and mtime, or else same content (a
 * `git checkout` or a copy touches mtimes without changing bytes).
 */
function inputsUnchanged(inputs: Record<string, InputRecord>): boolean {
  for (const [file, record] of Object.entries(inputs)) {
    const full = path.join(PROJECT_ROOT, file);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch {
      return false;
    }
    if (stat.size !== record.size) return false;
    if (stat.mtimeMs !== record.mtimeMs && sha256(fs.readFileSync(full)) !== record.sha256) {
      return false;
    }
  }
  return true;
}

function readManifest(file: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

/** Writes through a temporary name so a concurrent run never reads half a file. */
function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
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
): Array<{ rel: string; target: string }> {
  const seen = new Set<string>(["index.js"]);
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
        `bundling ${name} failed: the asset target ${asset.target} must be a relative path inside the bundle, used once`,
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
  const assets = normalizeAssets(options.name, options.assets ?? []);
  // Loaded lazily: a run whose bundles are all cached never starts esbuild's service.
  const esbuildVersion = (require("esbuild/package.json") as { version: string }).version;
  const optionsHash = sha256(
    JSON.stringify({
      revision: BUNDLER_REVISION,
      esbuildVersion,
      entry,
      external,
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
        };
      }
    }
  }

  const esbuild = require("esbuild") as typeof import("esbuild");
  let result: ReturnType<typeof esbuild.buildSync>;
  try {
    result = esbuild.buildSync(buildOptions(entry, external));
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors ?? [];
    throw new BundleError(
      errors.length > 0
        ? explain(entry, errors)
        : `bundling ${path.relative(PROJECT_ROOT, entry)} failed: ${(err as Error).message}`,
    );
  }

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
    )
    .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const digest = createHash("sha256");
  let bytes = 0;
  for (const f of files) {
    digest.update(`${f.rel}\0${f.contents.length}\0`);
    digest.update(f.contents);
    bytes += f.contents.length;
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

  const inputFiles = Object.keys(result.metafile?.inputs ?? {})
    .filter((f) => !f.startsWith("<"))
    .concat(assets.map((a) => a.rel));
  const inputs = recordInputs(inputFiles);
  if (options.cache !== false && inputs) {
    fs.mkdirSync(outRoot, { recursive: true });
    const manifest: Manifest = { revision: BUNDLER_REVISION, optionsHash, inputs, hash, bytes };
    writeAtomic(manifestFile, JSON.stringify(manifest));
  }
  return {
    dir,
    archivePath: archivePathOf(dir),
    hash,
    sourceCodeHash: Buffer.from(hash, "hex").toString("base64"),
    cached: false,
    bytes,
  };
}
