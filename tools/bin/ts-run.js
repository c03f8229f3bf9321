#!/usr/bin/env node
// Runs a TypeScript entry point of this project: `node tools/bin/ts-run.js tools/preview/cli.ts --stack prod`.

const path = require("node:path");
// First: every module loaded after this line, dependencies included, uses the code cache.
require("./compile-cache").install(path.resolve(__dirname, "..", "..", ".build", "compile-cache"));
require("./register");
const entry = process.argv[2];
if (!entry) {
  console.error("usage: ts-run <file.ts> [args...]");
  process.exit(2);
}
process.argv.splice(1, 2, path.resolve(entry));
require(path.resolve(entry));
