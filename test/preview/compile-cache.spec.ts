import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { tempDir } from "../support/temp";

const COMPILE_CACHE = path.resolve(__dirname, "..", "..", "tools", "bin", "compile-cache.js");

interface Loaded {
  stats: { fromCache: number; compiled: number; byNode: number } | null;
  value: unknown;
}

/** Loads `entry` in a fresh Node process with the cache in `cacheDir`; what it exported. */
function load(cacheDir: string, entry: string, env: Record<string, string> = {}): Loaded {
  const script = `
    const cache = require(${JSON.stringify(COMPILE_CACHE)}).install(${JSON.stringify(cacheDir)});
    Promise.resolve(require(${JSON.stringify(entry)}).value).then((value) => {
      process.stdout.write(JSON.stringify({ stats: cache ? cache.stats() : null, value }));
    });`;
  const result = spawnSync(process.execPath, ["-e", script], {
    encoding: "utf8",
    env: { ...process.env, HUNTAZE_COMPILE_CACHE: "", ...env },
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Loaded;
}

/** The cache's header in `cacheDir` (a length, then JSON): file → [hash, offset, length]. */
function cacheHeader(cacheDir: string): Record<string, [string, number, number]> {
  const [file, ...others] = fs.readdirSync(cacheDir);
  assert.deepEqual(others, []);
  const data = fs.readFileSync(path.join(cacheDir, file!));
  return JSON.parse(data.toString("utf8", 4, 4 + data.readUInt32LE(0)));
}

/** The files the cache in `cacheDir` holds code for. */
function cachedFiles(cacheDir: string): string[] {
  return Object.keys(cacheHeader(cacheDir)).sort();
}

describe("compile cache (tools/bin/compile-cache.js)", function () {
  this.timeout(30_000);

  function fixture(): { dir: string; cacheDir: string; entry: string } {
    const dir = tempDir("compile-cache-");
    const entry = path.join(dir, "entry.js");
    fs.writeFileSync(path.join(dir, "dep.js"), "exports.answer = () => 41 + 1;\n");
    fs.writeFileSync(entry, 'exports.value = require("./dep").answer();\n');
    return { dir, cacheDir: path.join(dir, "cache"), entry };
  }

  it("compiles on the first run and serves every module from the cache on the next", () => {
    const { cacheDir, entry } = fixture();
    const first = load(cacheDir, entry);
    assert.deepEqual(first, { stats: { fromCache: 0, compiled: 2, byNode: 0 }, value: 42 });
    assert.equal(fs.readdirSync(cacheDir).length, 1);
    const second = load(cacheDir, entry);
    assert.deepEqual(second, { stats: { fromCache: 2, compiled: 0, byNode: 0 }, value: 42 });
  });

  it("drops the entries of files that are gone when it next writes", () => {
    const { dir, cacheDir, entry } = fixture();
    const other = path.join(dir, "other.js");
    fs.writeFileSync(other, "exports.value = 1;\n");
    load(cacheDir, other);
    load(cacheDir, entry);
    assert.deepEqual(cachedFiles(cacheDir), [path.join(dir, "dep.js"), entry, other].sort());
    fs.rmSync(other);
    fs.writeFileSync(path.join(dir, "dep.js"), "exports.answer = () => 40 + 3;\n");
    assert.equal(load(cacheDir, entry).value, 43);
    assert.deepEqual(cachedFiles(cacheDir), [path.join(dir, "dep.js"), entry].sort());
    fs.writeFileSync(other, "exports.value = 1;\n");
    assert.deepEqual(load(cacheDir, other).stats, { fromCache: 0, compiled: 1, byNode: 0 });
  });

  it("rewrites cached modules with the functions a run that loaded new dependencies ran", () => {
    const { dir, cacheDir, entry } = fixture();
    const dep = path.join(dir, "dep.js");
    fs.writeFileSync(
      dep,
      `exports.answer = () => 41 + 1;\nexports.more = () => [1, 2, 3].map((n) => n * 2).join("-");\n`,
    );
    load(cacheDir, entry);
    const before = cacheHeader(cacheDir)[dep]![2];
    // A run that calls more of dep.js and loads a package the cache has not seen.
    fs.mkdirSync(path.join(dir, "node_modules", "pkg"), { recursive: true });
    fs.writeFileSync(path.join(dir, "node_modules", "pkg", "index.js"), "exports.one = 1;\n");
    const bigger = path.join(dir, "bigger.js");
    fs.writeFileSync(
      bigger,
      'const d = require("./dep"); exports.value = d.more() + require("pkg").one;\n',
    );
    assert.deepEqual(load(cacheDir, bigger), {
      stats: { fromCache: 1, compiled: 2, byNode: 0 },
      value: "2-4-61",
    });
    assert.ok(cacheHeader(cacheDir)[dep]![2] > before, "dep.js rewritten with more code");
    // A new project file alone leaves the other entries as they are.
    const header = cacheHeader(cacheDir);
    const small = path.join(dir, "small.js");
    fs.writeFileSync(small, 'exports.value = require("./dep").answer();\n');
    assert.equal(load(cacheDir, small).value, 42);
    assert.deepEqual(cacheHeader(cacheDir)[dep], header[dep]);
  });

  it("never runs stale code: a changed file of the same length is compiled again", () => {
    const { dir, cacheDir, entry } = fixture();
    assert.equal(load(cacheDir, entry).value, 42);
    // Same length: V8's own check of cached code compares source lengths only.
    fs.writeFileSync(path.join(dir, "dep.js"), "exports.answer = () => 41 + 2;\n");
    assert.deepEqual(load(cacheDir, entry), {
      stats: { fromCache: 1, compiled: 1, byNode: 0 },
      value: 43,
    });
    assert.deepEqual(load(cacheDir, entry), {
      stats: { fromCache: 2, compiled: 0, byNode: 0 },
      value: 43,
    });
  });

  it("leaves modules calling import() to Node, run after run, and caches the rest", () => {
    const { dir, cacheDir, entry } = fixture();
    fs.writeFileSync(path.join(dir, "esm.mjs"), "export const answer = 7;\n");
    fs.writeFileSync(
      entry,
      'exports.value = import("./esm.mjs").then((m) => m.answer * require("./dep").answer());\n',
    );
    assert.deepEqual(load(cacheDir, entry), {
      stats: { fromCache: 0, compiled: 1, byNode: 1 },
      value: 294,
    });
    assert.deepEqual(load(cacheDir, entry), {
      stats: { fromCache: 1, compiled: 0, byNode: 1 },
      value: 294,
    });
  });

  it("caches a module that only mentions import( in strings and comments", () => {
    const { cacheDir, entry } = fixture();
    fs.writeFileSync(
      entry,
      '// import("x") in a comment\nexports.value = "an import(\'y\') in a string".length;\n',
    );
    assert.deepEqual(load(cacheDir, entry), {
      stats: { fromCache: 0, compiled: 1, byNode: 0 },
      value: 26,
    });
    assert.deepEqual(load(cacheDir, entry), {
      stats: { fromCache: 1, compiled: 0, byNode: 0 },
      value: 26,
    });
  });

  it("reports the same stack positions as Node's own loader, first line included", () => {
    const { cacheDir, entry } = fixture();
    fs.writeFileSync(
      entry,
      'const at = () => new Error("x").stack.split("\\n")[1].trim(); exports.value = at();\n',
    );
    const plain = load(cacheDir, entry, { HUNTAZE_COMPILE_CACHE: "0" });
    assert.equal(plain.stats, null);
    assert.match(String(plain.value), new RegExp(`${path.basename(entry)}:1:18\\)$`));
    // Compiled here, then from the cache.
    assert.equal(load(cacheDir, entry).value, plain.value);
    assert.deepEqual(load(cacheDir, entry), {
      stats: { fromCache: 1, compiled: 0, byNode: 0 },
      value: plain.value,
    });
  });

  it("leaves syntax errors and ES modules to Node", () => {
    const { dir, cacheDir } = fixture();
    const broken = path.join(dir, "broken.js");
    fs.writeFileSync(broken, "exports.value = (;\n");
    const result = spawnSync(
      process.execPath,
      [
        "-e",
        `require(${JSON.stringify(COMPILE_CACHE)}).install(${JSON.stringify(cacheDir)}); require(${JSON.stringify(broken)})`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(result.status, 1);
    assert.match(result.stderr, /broken\.js:1/);
    assert.match(result.stderr, /SyntaxError: Unexpected token/);
    // An ES module (require(esm)) is still Node's to load.
    fs.writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }\n');
    fs.writeFileSync(path.join(dir, "esm.js"), "export const value = 5;\n");
    assert.equal(load(cacheDir, path.join(dir, "esm.js")).value, 5);
  });
});
