/** Measurement helpers shared by the benchmark sections. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Wall time (ms) of `node <args>` in a fresh process, from the project root (with `env` added
 * to this process's environment); throws if it fails.
 */
export function timeNodeProcess(args: string[], env: Record<string, string> = {}): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(`node ${args.join(" ")} exited ${result.status}: ${result.stderr.trim()}`);
  }
  return ms;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/**
 * The `@pulumi/aws` modules `infra/` loads at run time (type-only imports excluded), read from
 * its sources so the "what the program itself imports" rows follow the program as it grows.
 */
export function infraAwsModules(): string[] {
  const modules = new Set<string>();
  const runtimeImport = /^import\s+(?!type\b)[^;]*?\bfrom\s+"(@pulumi\/aws(?:\/[^"]+)?)"/gm;
  for (const file of sourceFiles(path.join(PROJECT_ROOT, "infra"))) {
    for (const m of fs.readFileSync(file, "utf8").matchAll(runtimeImport)) modules.add(m[1]!);
  }
  return [...modules].sort();
}

/** A `node -e` script loading `@pulumi/pulumi` and exactly the `@pulumi/aws` modules infra loads. */
export function infraSdkLoadScript(): string {
  return `require('@pulumi/pulumi'); for (const m of ${JSON.stringify(infraAwsModules())}) require(m);`;
}
