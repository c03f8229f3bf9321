import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultDeps, HELP, main, parseDeployArgs } from "../../tools/deploy/cli";
import { tempDir } from "../support/temp";
import { capture } from "./helpers";

const ROOT = path.resolve(__dirname, "..", "..");
const ENTRY = path.join(ROOT, "tools", "deploy", "cli.ts");
const TS_RUN = path.join(ROOT, "tools", "bin", "ts-run.js");

/**
 * A PATH holding only `node` and `sh` (npm runs scripts through it): whatever the developer
 * has installed, `pulumi` is not found, which is this machine's situation.
 */
function pathWithoutPulumi(): string {
  const dir = tempDir("huntaze-nopulumi-");
  fs.symlinkSync(process.execPath, path.join(dir, "node"));
  fs.symlinkSync("/bin/sh", path.join(dir, "sh"));
  return dir;
}

/** npm's own entry script: `npm_execpath` under `npm test`, else next to this node. */
function npmCli(): string {
  const candidates = [
    process.env.npm_execpath,
    path.join(
      path.dirname(process.execPath),
      "..",
      "lib",
      "node_modules",
      "npm",
      "bin",
      "npm-cli.js",
    ),
  ].filter((p): p is string => !!p && p.endsWith(".js") && fs.existsSync(p));
  assert.ok(candidates[0], "npm-cli.js not found (set npm_execpath)");
  return candidates[0];
}

function runEntry(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [TS_RUN, ENTRY, ...args], {
    cwd: ROOT,
    env: { ...process.env, PATH: pathWithoutPulumi(), ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
}

describe("npm run deploy: command line", () => {
  it("requires --stack", () => {
    assert.throws(() => parseDeployArgs([]), /missing --stack <name> \(e\.g\. --stack prod\)/);
  });

  it("rejects unknown options and bad values, pointing at --help", () => {
    assert.throws(
      () => parseDeployArgs(["--stack", "prod", "--force"]),
      /Unknown option '--force'.*\(see --help\)/,
    );
    assert.throws(
      () => parseDeployArgs(["--stack", "prod", "--latency-target-ms", "fast"]),
      /--latency-target-ms must be a positive number of milliseconds, got "fast"/,
    );
    assert.throws(
      () => parseDeployArgs(["--stack", "prod", "--preview-only", "--verify-only"]),
      /cannot be combined/,
    );
    assert.throws(() => parseDeployArgs(["--stack", "../prod"]), /invalid --stack "\.\.\/prod"/);
  });

  it("parses the flags with safe defaults", () => {
    assert.deepEqual(parseDeployArgs(["--stack", "prod"]), {
      stack: "prod",
      yes: false,
      skipTests: false,
      allowDirty: false,
      previewOnly: false,
      verifyOnly: false,
      latencyTargetMs: 500,
      help: false,
    });
    const all = parseDeployArgs([
      "-s",
      "org/prod",
      "-y",
      "--skip-tests",
      "--allow-dirty",
      "--latency-target-ms",
      "800",
    ]);
    assert.equal(all.stack, "org/prod");
    assert.ok(all.yes && all.skipTests && all.allowDirty);
    assert.equal(all.latencyTargetMs, 800);
  });

  it("exits 2 on bad usage", async () => {
    const io = capture();
    assert.equal(await main(["--stack"], { ...defaultDeps(), io }), 2);
    assert.match(io.errText(), /^error: /);
  });

  it("documents the five steps, the policy pack command and every flag in --help", () => {
    const result = runEntry(["--help"]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), HELP);
    for (const text of [
      "1. Pre-checks",
      "2. Backup",
      "3. Validate",
      "4. Deploy",
      "5. Verify",
      "--policy-pack-config policies/config/<stack>.json",
      "huntaze-api:expectedAccountId",
      "--yes",
      "--skip-tests",
      "--allow-dirty",
      "--preview-only",
      "--verify-only",
      "--latency-target-ms",
      "Exit codes",
    ]) {
      assert.ok(result.stdout.includes(text), `--help mentions ${text}`);
    }
  });

  it("fails fast without the Pulumi CLI, saying how to install it (the real entry point)", () => {
    const result = runEntry(["--stack", "prod"]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(
      result.stderr,
      /\[FAIL\] Pulumi CLI: `pulumi` is not on PATH: install it with `curl -fsSL https:\/\/get\.pulumi\.com \| sh`/,
    );
    assert.match(result.stderr, /https:\/\/www\.pulumi\.com\/docs\/iac\/download-install\//);
    assert.match(result.stdout, /\[1\/5\] Pre-checks/);
    assert.ok(
      !/npm test|snapshot|pulumi preview/.test(result.stdout),
      "nothing after the first check ran",
    );
  });

  it("behaves the same through `npm run deploy -- --stack prod`", () => {
    const result = spawnSync(
      process.execPath,
      [npmCli(), "run", "--silent", "deploy", "--", "--stack", "prod"],
      {
        cwd: ROOT,
        env: { ...process.env, PATH: pathWithoutPulumi() },
        encoding: "utf8",
        timeout: 30_000,
      },
    );
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /\[FAIL\] Pulumi CLI: `pulumi` is not on PATH: install it with/);
  });
});
