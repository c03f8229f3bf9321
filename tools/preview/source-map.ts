/**
 * Positions in the program's TypeScript sources. The project's loader (tools/bin/register.js)
 * runs each .ts file through esbuild without a source map, so stack frames and the positions
 * the Pulumi SDK records for each resource are lines of the transformed JavaScript (a 4-line file
 * can throw "at line 36"). Mapping them back here, only for the few positions a report shows,
 * costs nothing on a preview that has none to show: enabling Node's source maps would map every
 * stack the SDK captures (one per resource).
 */
import * as fs from "node:fs";
import { SourceMap } from "node:module";

interface Loader {
  transformOptions(filename: string): Record<string, unknown>;
}

const maps = new Map<string, SourceMap | null>();

function sourceMapOf(file: string): SourceMap | undefined {
  let map = maps.get(file);
  if (map === undefined) {
    map = null;
    try {
      const loader = require("../bin/register") as Loader;
      const esbuild = require("esbuild") as typeof import("esbuild");
      const options = { ...loader.transformOptions(file), sourcemap: "external" as const };
      const result = esbuild.transformSync(fs.readFileSync(file, "utf8"), options);
      map = new SourceMap(JSON.parse(result.map));
    } catch {
      // Not a file the loader transforms (or it no longer compiles): positions stay as they are.
    }
    maps.set(file, map);
  }
  return map ?? undefined;
}

/** The TypeScript line:column (1-based) of a position in `file`'s transformed JavaScript. */
export function originalPosition(
  file: string,
  line: number,
  column: number,
): { line: number; column: number } {
  // Under `node --enable-source-maps` the positions are already the sources'.
  if (!/\.[cm]?tsx?$/.test(file) || process.sourceMapsEnabled) return { line, column };
  const map = sourceMapOf(file);
  if (!map) return { line, column };
  const entry = map.findEntry(line - 1, Math.max(0, column - 1)) as {
    originalLine?: number;
    originalColumn?: number;
  };
  if (entry.originalLine === undefined) return { line, column };
  return { line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
}

/** A stack trace with each `file.ts:line:column` frame mapped to the TypeScript source. */
export function mapStack(stack: string): string {
  return stack.replace(
    /((?:\/|[A-Za-z]:\\)[^\s():]+\.[cm]?tsx?):(\d+):(\d+)/g,
    (_m, file: string, line: string, column: string) => {
      const pos = originalPosition(file, Number(line), Number(column));
      return `${file}:${pos.line}:${pos.column}`;
    },
  );
}
