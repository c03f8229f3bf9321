/**
 * Prisma's query compiler as a file beside `index.js` (bundle.ts): the generated client imports
 * it as a base64 string module; each such module is aliased to `query-compiler-wasm.ts`, and the
 * bytes decoded here at build time become `query_compiler_bg.wasm`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Metafile } from "esbuild";
import { PROJECT_ROOT } from "./bundle-cache";
import { BundleError } from "./bundle-error";

/** The query compiler's name inside a bundle (query-compiler-wasm.ts reads it). */
export const QUERY_COMPILER_WASM_FILE = "query_compiler_bg.wasm";
/** What the Prisma client's base64 module is aliased to in a bundle. */
export const QUERY_COMPILER_LOADER = path.join(__dirname, "query-compiler-wasm.ts");

/** Every wasm module starts with "\0asm". */
const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);
/**
 * The base64 module of every query compiler build and provider, e.g.
 * `query_compiler_small_bg.postgresql.wasm-base64.js` (and its `.mjs` twin).
 */
const QUERY_COMPILER_MODULE = /^query_compiler_[a-z]+_bg\.[a-z]+\.wasm-base64\.m?js$/;

/**
 * Import specifier → absolute file of each query compiler base64 module the installed
 * `@prisma/client` ships (the generated client imports them by specifier). Empty without Prisma.
 */
export function queryCompilerModules(): Map<string, string> {
  const modules = new Map<string, string>();
  let runtimeDir: string;
  try {
    const pkg = require.resolve("@prisma/client/package.json", { paths: [PROJECT_ROOT] });
    runtimeDir = path.join(path.dirname(pkg), "runtime");
  } catch {
    return modules;
  }
  for (const file of fs.existsSync(runtimeDir) ? fs.readdirSync(runtimeDir).sort() : []) {
    if (QUERY_COMPILER_MODULE.test(file)) {
      modules.set(`@prisma/client/runtime/${file}`, path.join(runtimeDir, file));
    }
  }
  return modules;
}

/** The wasm bytes of a base64 module (`const wasm = "<base64>"` then an export of it). */
function decodeQueryCompiler(name: string, file: string): Uint8Array {
  const text = fs.readFileSync(file, "utf8");
  const match = /^const wasm = "([A-Za-z0-9+/]+={0,2})";?\s*$/m.exec(text);
  const bytes = Buffer.from(match?.[1] ?? "", "base64");
  if (!bytes.subarray(0, 4).equals(WASM_MAGIC)) {
    throw new BundleError(
      `bundling ${name} failed: ${path.relative(PROJECT_ROOT, file)} is not the \`const wasm = "<base64>"\` module this bundler knows how to ship as a file (a new @prisma/client layout?); set queryCompilerWasm: "inline" to bundle it as Prisma generates it`,
    );
  }
  return new Uint8Array(bytes);
}

/**
 * The query compiler the bundle imported (through the alias), decoded: one file at most, since
 * the loader reads one name.
 */
export function queryCompilerFile(
  name: string,
  metafile: Metafile | undefined,
  modules: Map<string, string>,
): { source: string; contents: Uint8Array } | undefined {
  const used = new Set<string>();
  for (const input of Object.values(metafile?.inputs ?? {})) {
    for (const imported of input.imports) {
      if (
        imported.original &&
        modules.has(imported.original) &&
        path.resolve(PROJECT_ROOT, imported.path) === QUERY_COMPILER_LOADER
      ) {
        used.add(imported.original);
      }
    }
  }
  let found: { source: string; contents: Uint8Array } | undefined;
  for (const specifier of [...used].sort()) {
    const source = modules.get(specifier) as string;
    const contents = decodeQueryCompiler(name, source);
    if (found && Buffer.compare(found.contents, contents) !== 0) {
      throw new BundleError(
        `bundling ${name} failed: it imports two different Prisma query compilers (${[...used].join(", ")}); one bundle can ship one ${QUERY_COMPILER_WASM_FILE}, so use one generated client per function or set queryCompilerWasm: "inline"`,
      );
    }
    found ??= { source, contents };
  }
  return found;
}
