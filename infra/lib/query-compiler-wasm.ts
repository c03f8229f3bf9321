/**
 * Stands in, inside a function bundle only, for Prisma's
 * `@prisma/client/runtime/query_compiler_*_bg.*.wasm-base64.js` (bundle.ts aliases it here).
 *
 * The generated client imports that module lazily, on the first query, for its `wasm` export
 * and compiles it with `new WebAssembly.Module(Buffer.from(wasm, "base64"))`. Inlined, the
 * base64 string is 2.3 MB of JavaScript to ship and parse; here the bytes sit beside `index.js`
 * as a real `.wasm` file, read when the client first needs them.
 *
 * The export is those bytes, not base64 text: `Buffer.from` copies a Buffer it is given
 * (Node's `Buffer.from(buffer)`; the encoding argument applies to strings only), so the client
 * compiles the same bytes without a 2.3 MB string encoded here and decoded there (~3 ms and the
 * garbage of a cold start). test/infra/bundle.spec.ts runs a bundle's first query through it.
 *
 * Never imported from source: `npm run dev`, tests and the bench use the real module.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Keep in step with `QUERY_COMPILER_WASM_FILE` in bundle.ts (this file must not import it). */
const FILE = "query_compiler_bg.wasm";

function read(): Buffer {
  // In the bundle, __dirname is the directory of index.js (/var/task in Lambda).
  const file = join(__dirname, FILE);
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(
      `Prisma's query compiler ${file} is missing or unreadable (${(err as Error).message}); deploy the whole bundle directory, not index.js alone`,
    );
  }
}

export const wasm: Buffer = read();
