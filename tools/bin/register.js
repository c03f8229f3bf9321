// Loads TypeScript sources through esbuild's per-file transform: an order of magnitude
// cheaper than ts-node, and type errors are `tsc --noEmit`'s job (see `npm run typecheck`).
// Only project files are transformed; node_modules stay untouched.

const fs = require("node:fs");
const path = require("node:path");
const { transformSync } = require("esbuild");

const root = path.resolve(__dirname, "..", "..");

function compile(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const { code } = transformSync(source, {
    loader: filename.endsWith(".tsx") ? "tsx" : "ts",
    format: "cjs",
    target: "node20",
    sourcefile: filename,
    sourcemap: process.env.HUNTAZE_SOURCEMAPS === "1" ? "inline" : false,
  });
  module._compile(code, filename);
}

for (const ext of [".ts", ".tsx", ".cts"]) {
  const previous = require.extensions[ext];
  require.extensions[ext] = (module, filename) => {
    if (filename.startsWith(root) && !filename.includes(`${path.sep}node_modules${path.sep}`)) {
      return compile(module, filename);
    }
    if (previous) return previous(module, filename);
    return compile(module, filename);
  };
}
