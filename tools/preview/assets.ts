import * as fs from "node:fs";
import * as path from "node:path";
import {
  specialArchiveSig as ARCHIVE_SIG,
  specialAssetSig as ASSET_SIG,
  specialSigKey as SIG_KEY,
} from "@pulumi/pulumi/runtime/rpc";
import { EXIT_USAGE, ToolError } from "../lib/errors";
import type { CapturedResource } from "./run-program";

/** Archive formats the engine recognizes by extension (sdk/go/common/resource/archive.go). */
const ARCHIVE_EXTENSIONS = [".tar", ".tgz", ".tar.gz", ".zip", ".jar"];

interface Problem {
  property: string;
  problem: string;
}

function checkPath(kind: "asset" | "archive", file: string, workDir: string): string | undefined {
  const resolved = path.resolve(workDir, file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch {
    return `${kind} path "${file}" does not exist (resolved from ${workDir} to ${resolved})`;
  }
  if (kind === "asset" && !stat.isFile()) {
    return `asset path "${file}" is not a file (resolved from ${workDir} to ${resolved})`;
  }
  if (kind === "archive" && stat.isFile() && !ARCHIVE_EXTENSIONS.some((e) => file.endsWith(e))) {
    return `archive path "${file}" is neither a directory nor a ${ARCHIVE_EXTENSIONS.join("/")} file (resolved from ${workDir} to ${resolved})`;
  }
  return undefined;
}

/** Every asset and archive inside a wire-format value, nested archives included. */
function walk(value: unknown, at: string, workDir: string, problems: Problem[]): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walk(v, `${at}[${i}]`, workDir, problems);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const obj = value as Record<string, unknown>;
  const sig = obj[SIG_KEY];
  if (sig === ASSET_SIG || sig === ARCHIVE_SIG) {
    const kind = sig === ASSET_SIG ? "asset" : "archive";
    if (typeof obj.path === "string" && obj.path !== "") {
      const problem = checkPath(kind, obj.path, workDir);
      if (problem) problems.push({ property: at, problem });
    }
    if (typeof obj.assets === "object" && obj.assets !== null) {
      for (const [name, inner] of Object.entries(obj.assets as Record<string, unknown>)) {
        walk(inner, `${at}["${name}"]`, workDir, problems);
      }
    }
    return;
  }
  for (const [key, v] of Object.entries(obj)) {
    if (key !== SIG_KEY) walk(v, at ? `${at}.${key}` : key, workDir, problems);
  }
}

/**
 * Resolves every `FileAsset`, `FileArchive` and path inside an `AssetArchive` from the program's
 * working directory, as the engine does when it hashes them at registration, and throws naming
 * each resource, property and directory whose path would fail.
 */
export function checkAssets(
  resources: CapturedResource[],
  workDir: string,
  inputsOf: (r: CapturedResource) => unknown,
): void {
  const failures: string[] = [];
  for (const r of resources) {
    const problems: Problem[] = [];
    walk(inputsOf(r), "", workDir, problems);
    for (const p of problems) {
      failures.push(`${r.type} "${r.name}", property ${p.property}: ${p.problem}`);
    }
  }
  if (failures.length > 0) {
    // The same failure `pulumi preview` stops on ("failed to compute asset/archive hash"), found
    // offline: exit code 2, like a program error.
    throw new ToolError(
      `${failures.length === 1 ? "an asset or archive" : `${failures.length} assets or archives`} the engine could not hash ("failed to compute archive hash"): ${failures.join("; ")}. Paths resolve from the directory of Pulumi.yaml's main; build paths relative to process.cwd() or absolute.`,
      EXIT_USAGE,
      { kind: "program" },
    );
  }
}
