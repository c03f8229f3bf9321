// V8 code cache for the CommonJS modules a tool loads (dependencies and the project's own
// transpiled TypeScript alike), kept in .build/compile-cache/. Loading @pulumi/pulumi alone means
// compiling ~800 modules (TypeScript's 9 MB compiler among them) in every process; with the
// cache V8 deserializes the code instead of parsing and compiling it again.
//
// Why not a library: Node 20 has no `module.enableCompileCache()` (Node 22.1+), and
// v8-compile-cache(-lib) store the code produced right after parsing, before any function ran,
// so the lazily compiled functions (most of them) are compiled again in every process, and they
// break `import()` in cached modules. Here the cache is written when the process exits, with
// every function compiled by then.
//
// `import()`: on Node 20 a script compiled from cached data loses its dynamic-import loader
// (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so a module that contains an `import(` call is
// always compiled by Node itself. Deciding that takes a tokenizer (acorn), not a regular
// expression: TypeScript's compiler mentions `import(` in ~7 strings and calls it nowhere. The
// verdict is cached with the content hash, so each file is tokenized once.
//
// Never stale: an entry is used only for the same file with the same content (SHA-256) under the
// same Node and V8 versions, and V8 itself rejects data from other flags. Anything unusual (ES
// modules, a syntax error, source maps enabled) goes to Node's own compiler unchanged.

const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const vm = require("node:vm");

const WRAPPER_PREFIX = Module.wrapper[0];
/** Header offset of a module Node compiles itself (it calls `import()`). */
const NODE_COMPILES = -1;

let acorn;
let loadingAcorn = false;

/** Whether `source` calls `import()` (or cannot be tokenized, which counts as yes). */
function callsDynamicImport(source) {
  if (!/\bimport\s*\(/.test(source)) return false;
  if (!acorn) {
    // acorn's own source mentions `import(`: load it without asking itself.
    loadingAcorn = true;
    try {
      acorn = require("acorn");
    } finally {
      loadingAcorn = false;
    }
  }
  try {
    let previous;
    for (const token of acorn.tokenizer(source, {
      ecmaVersion: "latest",
      allowHashBang: true,
      allowReturnOutsideFunction: true,
    })) {
      if (previous === acorn.tokTypes._import && token.type === acorn.tokTypes.parenL) return true;
      previous = token.type;
    }
    return false;
  } catch {
    return true;
  }
}

/** Reads `file`: a UInt32LE header length, a JSON header, then the code blobs it indexes. */
function readCache(file) {
  try {
    const data = fs.readFileSync(file);
    const headerLength = data.readUInt32LE(0);
    const header = JSON.parse(data.toString("utf8", 4, 4 + headerLength));
    return { header, data, base: 4 + headerLength };
  } catch {
    return { header: {}, data: Buffer.alloc(0), base: 0 };
  }
}

function writeCache(file, entries) {
  const header = {};
  const blobs = [];
  let offset = 0;
  for (const [filename, { hash, code }] of entries) {
    if (!code) {
      header[filename] = [hash, NODE_COMPILES, 0];
      continue;
    }
    header[filename] = [hash, offset, code.length];
    blobs.push(code);
    offset += code.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Written whole, then renamed: a concurrent process reads the old cache or the new, never half.
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, Buffer.concat([length, json, ...blobs]));
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Node's `require` for `mod`, as its loader builds it (makeRequireFunction). */
function makeRequire(mod) {
  function require(id) {
    return mod.require(id);
  }
  function resolve(request, options) {
    return Module._resolveFilename(request, mod, false, options);
  }
  resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.resolve = resolve;
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/**
 * Installs the cache for this process. `dir` holds one file per Node/V8 version. Returns
 * counters of this process's modules (undefined when disabled: HUNTAZE_COMPILE_CACHE=0, which
 * the benchmark uses to measure without it, or under --enable-source-maps).
 */
function install(dir) {
  if (process.env.HUNTAZE_COMPILE_CACHE === "0" || process.sourceMapsEnabled) return undefined;
  const file = path.join(dir, `node-${process.version}-v8-${process.versions.v8}.bin`);
  const stored = readCache(file);
  /** Modules compiled without usable cached code in this process: filename → hash, script. */
  const compiled = new Map();
  /** Modules whose code came from the cache: filename → hash, script. */
  const fromCache = new Map();
  const nodeCompile = Module.prototype._compile;
  /** This process's modules: code from the cache, compiled here, left to Node (`import()`). */
  const stats = { fromCache: 0, compiled: 0, byNode: 0 };

  Module.prototype._compile = function compileWithCache(content, filename, format) {
    if (format === "module" || loadingAcorn)
      return nodeCompile.call(this, content, filename, format);
    // A leading `#!` line is not valid once wrapped; keep its newline so lines still match.
    const source = content.startsWith("#!") ? content.replace(/^#![^\r\n]*/, "") : content;
    const hash = crypto.createHash("sha256").update(source).digest("base64");
    const entry = stored.header[filename]?.[0] === hash ? stored.header[filename] : undefined;
    if (entry?.[1] === NODE_COMPILES || (!entry && callsDynamicImport(source))) {
      if (!entry) compiled.set(filename, { hash, script: undefined });
      stats.byNode++;
      return nodeCompile.call(this, content, filename, format);
    }
    const cachedData = entry
      ? stored.data.subarray(stored.base + entry[1], stored.base + entry[1] + entry[2])
      : undefined;
    let script;
    try {
      script = new vm.Script(Module.wrap(source), {
        filename,
        // Columns on the first line as in the unwrapped file (stack traces, source positions).
        columnOffset: -WRAPPER_PREFIX.length,
        cachedData,
      });
    } catch {
      // Node's compiler reports the error (or loads the file as an ES module) as it always does.
      return nodeCompile.call(this, content, filename, format);
    }
    if (!cachedData || script.cachedDataRejected) {
      compiled.set(filename, { hash, script });
      stats.compiled++;
    } else {
      fromCache.set(filename, { hash, script });
      stats.fromCache++;
    }
    const wrapper = script.runInThisContext({ displayErrors: true });
    return Reflect.apply(wrapper, this.exports, [
      this.exports,
      makeRequire(this),
      this,
      filename,
      path.dirname(filename),
    ]);
  };

  process.once("exit", () => {
    if (compiled.size === 0) return;
    const entries = new Map();
    for (const [filename, [hash, offset, length]] of Object.entries(stored.header)) {
      // Files that are gone (a test's temporary program, a removed module) leave the cache.
      if (!compiled.has(filename) && !fs.existsSync(filename)) continue;
      const start = stored.base + offset;
      const code =
        offset === NODE_COMPILES ? undefined : stored.data.subarray(start, start + length);
      entries.set(filename, { hash, code });
    }
    // A process that loaded dependencies the cache had not seen took new paths through the others
    // too (the first one may have been a smaller run: a test, an empty program): their entries are
    // written again with the functions it ran. A new project file alone (a test's temporary
    // program) does not rewrite them all.
    const sep = path.sep;
    const newPaths = [...compiled.keys()].some((f) => f.includes(`${sep}node_modules${sep}`));
    for (const [filename, { hash, script }] of [...(newPaths ? fromCache : []), ...compiled]) {
      entries.set(filename, { hash, code: script?.createCachedData() });
    }
    try {
      writeCache(file, entries);
    } catch {
      // A read-only checkout only loses the cache.
    }
  });
  return { stats: () => ({ ...stats }) };
}

module.exports = { install };
