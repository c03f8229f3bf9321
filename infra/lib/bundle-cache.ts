/**
 * The bundler's cache (bundle.ts): `.build/lambda/<name>.json` records the inputs esbuild read
 * with their size, mtime and content hash, so an unchanged function is not bundled again.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** Where `handlers/` and `node_modules/` are: inputs are recorded relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** npm's record of what is installed: it changes whenever npm changes `node_modules`. */
const INSTALLED_TREE = "node_modules/.package-lock.json";

/** What identifies one input: its content hash, and the stat that lets us skip reading it. */
export interface InputRecord {
  sha256: string;
  size: number;
  mtimeMs: number;
}

export interface Manifest {
  revision: number;
  optionsHash: string;
  inputs: Record<string, InputRecord>;
  hash: string;
  bytes: number;
  files: Record<string, number>;
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * The inputs the cache checks: the project's own files one by one, the project's dependencies
 * as the installed tree (when npm recorded it; other package managers keep per-file records).
 */
export function cacheInputs(files: string[]): string[] {
  const own = files.filter((f) => !f.startsWith("node_modules/"));
  if (own.length === files.length || !fs.existsSync(path.join(PROJECT_ROOT, INSTALLED_TREE))) {
    return files;
  }
  return [...own, INSTALLED_TREE];
}

export function recordInputs(files: string[]): Record<string, InputRecord> | undefined {
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
export function inputsUnchanged(inputs: Record<string, InputRecord>): boolean {
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

export function readManifest(file: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

/**
 * Removes this function's previous outputs: every handler edit publishes a new
 * content-addressed directory, and nothing reads the old ones once the manifest has moved on.
 */
export function pruneOtherBuilds(outRoot: string, name: string, keep: string): void {
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-[0-9a-f]{16}$`);
  for (const entry of fs.readdirSync(outRoot)) {
    const full = path.join(outRoot, entry);
    if (pattern.test(entry) && full !== keep) fs.rmSync(full, { recursive: true, force: true });
  }
}

/** Writes through a temporary name so a concurrent run never reads half a file. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
