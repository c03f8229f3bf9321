#!/usr/bin/env node
// `npm run generate` (and the root `postinstall`): generates the Prisma client into
// handlers/generated/prisma, offline.
//
// Why a wrapper: `prisma generate` downloads the native schema engine unless
// PRISMA_SCHEMA_ENGINE_BINARY names an existing executable — which it never runs for
// `generate` — so point it at this Node binary. Plain JavaScript on purpose: postinstall must
// work before anything else (even the TypeScript loader) is usable.
//
// Fast: skips the work when schema.prisma and the Prisma versions are unchanged since the last
// run (a stamp file in the output). `--force` regenerates anyway.
// `--if-available`: succeed with a warning when the prisma CLI is not installed (an install
// without devDependencies), instead of failing the install.

const { spawnSync } = require("node:child_process");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const schema = path.join(root, "prisma", "schema.prisma");
const output = path.join(root, "handlers", "generated", "prisma");
const stamp = path.join(output, ".generated-from");
const args = new Set(process.argv.slice(2));

function fail(message) {
  process.stderr.write(`\nprisma generate failed: ${message}\n\n`);
  process.exit(1);
}

function version(pkg) {
  try {
    return require(path.join(root, "node_modules", pkg, "package.json")).version;
  } catch {
    return undefined;
  }
}

const cliVersion = version("prisma");
if (!cliVersion) {
  const message =
    "the prisma CLI is not installed (it is a devDependency); run `npm ci` without --omit=dev.";
  if (args.has("--if-available")) {
    process.stderr.write(`warning: skipping Prisma client generation: ${message}\n`);
    process.exit(0);
  }
  fail(message);
}
if (!fs.existsSync(schema)) fail(`${path.relative(root, schema)} is missing.`);

const fingerprint = createHash("sha256")
  .update(fs.readFileSync(schema))
  .update(`\0${cliVersion}\0${version("@prisma/client")}\0${fs.readFileSync(__filename)}`)
  .digest("hex");
if (
  !args.has("--force") &&
  fs.existsSync(stamp) &&
  fs.readFileSync(stamp, "utf8") === fingerprint
) {
  process.stdout.write(
    "Prisma client is up to date (handlers/generated/prisma); --force regenerates it.\n",
  );
  process.exit(0);
}

const env = {
  ...process.env,
  // Any existing executable satisfies the CLI's check; `generate` never runs it.
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath,
  // No update check or telemetry call: these machines (and CI) have no network.
  CHECKPOINT_DISABLE: "1",
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
};
const cli = path.join(root, "node_modules", "prisma", "build", "index.js");
const result = spawnSync(process.execPath, [cli, "generate", "--schema", schema], {
  cwd: root,
  env,
  encoding: "utf8",
});
if (result.error) fail(result.error.message);
if (result.status !== 0) {
  fail(
    `exit code ${result.status}.\n${result.stdout}${result.stderr}\n` +
      "Check prisma/schema.prisma (`npx prisma validate` names the line), then run `npm run generate`.",
  );
}
fs.writeFileSync(stamp, fingerprint);
process.stdout.write(
  result.stdout
    .split("\n")
    .filter((l) => l.includes("Generated"))
    .join("\n") || "Prisma client generated.",
);
process.stdout.write("\n");
