import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BundleError, bundleFunction } from "../../infra/lib/bundle";

describe("function bundles (infra/lib/bundle.ts)", () => {
  let tmp: string;
  let entry: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-bundle-"));
    entry = path.join(tmp, "handler.ts");
    fs.writeFileSync(
      path.join(tmp, "greeting.ts"),
      'export function greeting(name: string): string { return "hello " + name; }\n',
    );
    fs.writeFileSync(
      entry,
      'import { greeting } from "./greeting";\nexport async function handler() { return greeting("lambda"); }\n',
    );
  });

  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("produces byte-identical output for unchanged sources, so an unchanged handler shows no diff", () => {
    const first = bundleFunction({ name: "fn", entry, outRoot: path.join(tmp, "a"), cache: false });
    const second = bundleFunction({
      name: "fn",
      entry,
      outRoot: path.join(tmp, "b"),
      cache: false,
    });
    assert.equal(first.cached, false);
    assert.equal(second.cached, false);
    assert.equal(first.hash, second.hash);
    assert.deepEqual(
      fs.readFileSync(path.join(first.dir, "index.js")),
      fs.readFileSync(path.join(second.dir, "index.js")),
    );
    assert.equal(path.basename(first.dir), path.basename(second.dir), "content-addressed path");
    assert.equal(first.sourceCodeHash, Buffer.from(first.hash, "hex").toString("base64"));
  });

  it("changes the hash when an imported module changes", () => {
    const before = bundleFunction({ name: "fn", entry, outRoot: tmp, cache: false });
    fs.writeFileSync(
      path.join(tmp, "greeting.ts"),
      'export function greeting(name: string): string { return "hi " + name; }\n',
    );
    const after = bundleFunction({ name: "fn", entry, outRoot: tmp, cache: false });
    assert.notEqual(before.hash, after.hash);
  });

  it("reuses the cached bundle while no input changed and rebuilds when one did", () => {
    const outRoot = path.join(tmp, "cache");
    const built = bundleFunction({ name: "fn", entry, outRoot });
    const reused = bundleFunction({ name: "fn", entry, outRoot });
    assert.equal(built.cached, false);
    assert.equal(reused.cached, true);
    assert.equal(reused.hash, built.hash);
    assert.equal(reused.dir, built.dir);

    fs.writeFileSync(
      path.join(tmp, "greeting.ts"),
      'export function greeting(name: string): string { return "hey " + name; }\n',
    );
    const rebuilt = bundleFunction({ name: "fn", entry, outRoot });
    assert.equal(rebuilt.cached, false);
    assert.notEqual(rebuilt.hash, built.hash);
  });

  it("tells a touched but unchanged input from an edit of the same size", () => {
    const outRoot = path.join(tmp, "cache");
    const greeting = path.join(tmp, "greeting.ts");
    const built = bundleFunction({ name: "fn", entry, outRoot });
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(greeting, later, later);
    assert.equal(bundleFunction({ name: "fn", entry, outRoot }).cached, true, "only touched");

    fs.writeFileSync(greeting, fs.readFileSync(greeting, "utf8").replace("hello", "howdy"));
    const evenLater = new Date(Date.now() + 10000);
    fs.utimesSync(greeting, evenLater, evenLater);
    const rebuilt = bundleFunction({ name: "fn", entry, outRoot });
    assert.equal(rebuilt.cached, false, "same size, new content");
    assert.notEqual(rebuilt.hash, built.hash);
  });

  it("emits one CommonJS file exporting the handler", async () => {
    const bundle = bundleFunction({ name: "fn", entry, outRoot: tmp, cache: false });
    assert.deepEqual(fs.readdirSync(bundle.dir), ["index.js"]);
    const mod = require(path.join(bundle.dir, "index.js")) as { handler: () => Promise<string> };
    assert.equal(await mod.handler(), "hello lambda");
  });

  it("tells to run `npm run generate` when the generated Prisma client is missing", () => {
    fs.writeFileSync(
      entry,
      'import { PrismaClient } from "./generated/prisma/client";\nexport const handler = async () => new PrismaClient();\n',
    );
    assert.throws(
      () => bundleFunction({ name: "fn", entry, outRoot: tmp, cache: false }),
      (err: Error) =>
        err instanceof BundleError &&
        err.message.includes("the Prisma client (handlers/generated/prisma) is missing") &&
        err.message.includes("run `npm run generate` first"),
    );
  });

  it("names the entry point when it does not exist", () => {
    assert.throws(
      () => bundleFunction({ name: "fn", entry: path.join(tmp, "nope.ts"), outRoot: tmp }),
      /bundling fn failed: the entry point .*nope\.ts does not exist/,
    );
  });

  for (const handler of ["handlers/api.ts", "handlers/worker.ts"]) {
    it(`bundles the real ${handler} byte-identically twice`, () => {
      const first = bundleFunction({
        name: "real",
        entry: handler,
        outRoot: path.join(tmp, "one"),
        cache: false,
      });
      const second = bundleFunction({
        name: "real",
        entry: handler,
        outRoot: path.join(tmp, "two"),
        cache: false,
      });
      assert.equal(first.hash, second.hash);
      assert.equal(first.bytes, second.bytes);
      assert.ok(fs.existsSync(path.join(first.dir, "index.js")));
    });
  }
});
