// Loads TypeScript sources through esbuild's per-file transform: an order of magnitude
// cheaper than ts-node, and type errors are `tsc --noEmit`'s job (see `npm run typecheck`).
// Only project files are transformed; node_modules stay untouched.

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
// Transformed output is cached by content: a run whose sources are unchanged never starts
// esbuild's worker thread and service process (~60 ms of every preview and test run).
const cacheDir = path.join(root, ".build", "ts-cache");
let esbuild;
let esbuildVersion;

/** The transform options of a file; tools/preview/source-map.ts maps positions back with them. */
function transformOptions(filename) {
  return {
    loader: filename.endsWith(".tsx") ? "tsx" : "ts",
    format: "cjs",
    target: "node20",
    sourcefile: filename,
    sourcemap: process.env.HUNTAZE_SOURCEMAPS === "1" ? "inline" : false,
  };
}

/**
 * `<file>.bundle.ts` re-exports part of an npm package whose CommonJS build loads far more than
 * that part (zod: every locale). It is bundled with what it imports, tree-shaken to its exports.
 */
const BUNDLE_FILE = /\.bundle\.ts$/;

/** `name@version` of each package a bundle file imports: a new install invalidates the bundle. */
function importedPackages(source, filename) {
  const names = new Set();
  for (const [, spec] of source.matchAll(/\bfrom\s+"([^".][^"]*)"/g)) {
    const parts = spec.split("/");
    names.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
  }
  return [...names].map((name) => {
    // The installed copy at the root (npm hoists it); Node's resolution costs ~10× more.
    let manifest = path.join(root, "node_modules", name, "package.json");
    if (!fs.existsSync(manifest)) {
      manifest = require.resolve(`${name}/package.json`, { paths: [path.dirname(filename)] });
    }
    return `${name}@${JSON.parse(fs.readFileSync(manifest, "utf8")).version}`;
  });
}

function build(source, filename, options) {
  if (!BUNDLE_FILE.test(filename)) return esbuild.transformSync(source, options).code;
  const { loader, sourcefile, ...rest } = options;
  const result = esbuild.buildSync({
    ...rest,
    stdin: { contents: source, loader, sourcefile, resolveDir: path.dirname(filename) },
    bundle: true,
    platform: "node",
    write: false,
  });
  return result.outputFiles[0].text;
}

function compile(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const options = transformOptions(filename);
  esbuildVersion ??= require("esbuild/package.json").version;
  const packages = BUNDLE_FILE.test(filename) ? importedPackages(source, filename) : [];
  const key = crypto
    .createHash("sha256")
    .update(`${esbuildVersion}\0${JSON.stringify(options)}\0${packages.join(",")}\0${source}`)
    .digest("hex");
  const cached = path.join(cacheDir, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, "utf8");
  } catch {
    esbuild ??= require("esbuild");
    code = build(source, filename, options);
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, cached);
    } catch {
      // A read-only checkout still works, just without the cache.
    }
  }
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

module.exports = { transformOptions };
