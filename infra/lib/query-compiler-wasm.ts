/**
 * Stands in, inside a function bundle only, for Prisma's
 * `@prisma/client/runtime/query_compiler_*_bg.*.wasm-base64.js` (bundle.ts aliases it here).
 *
 * The generated client imports that module lazily, on the first query, for its `wasm` export:
 * the query compiler as a base64 string, which it decodes and compiles
 * (`new WebAssembly.Module(Buffer.from(wasm, "base64"))`). Inlined, the string is 2.3 MB of
 * JavaScript to ship and parse; here the bytes sit beside `index.js` as a real `.wasm` file and
 * are read when the client first needs them. The export keeps the shape the client expects (a
 * base64 string): re-encoding costs ~1 ms, and a bytes export would rely on `Buffer.from`
 * ignoring its encoding argument for buffers.
 *
 * Never imported from source: `npm run dev`, tests and the bench use the real module.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Keep in step with `QUERY_COMPILER_WASM_FILE` in bundle.ts (this file must not import it). */
const FILE = "query_compiler_bg.wasm";

function read(): string {
  // In the bundle, __dirname is the directory of index.js (/var/task in Lambda).
  const file = join(__dirname, FILE);
  try {
    return readFileSync(file, "base64");
  } catch (err) {
    throw new Error(
      `Prisma's query compiler ${file} is missing or unreadable (${(err as Error).message}); deploy the whole bundle directory, not index.js alone`,
    );
  }
}

export const wasm: string = read();
