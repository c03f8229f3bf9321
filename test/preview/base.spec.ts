import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../infra/support";

interface Document {
  schemaVersion: number;
  summary: Record<string, unknown>;
  diff: {
    base: { ref: string; commit: string };
    added: unknown[];
    removed: unknown[];
    replaced: unknown[];
    changed: Array<{ urn: string; type: string; changes: unknown[] }>;
    unchanged: number;
    policy: { new: unknown[]; existing: unknown[]; resolved: unknown[] };
  };
  cost: {
    totalMonthlyUsd: number;
    base: { totalMonthlyUsd: number };
    delta: {
      deltaMonthlyUsd: number;
      lines: Array<{ service: string; item: string; deltaUsd: number }>;
    };
  };
}

function run(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return r;
}

function git(cwd: string, ...args: string[]): string {
  const r = run(cwd, "git", [
    "-c",
    "user.name=test",
    "-c",
    "user.email=test@example.com",
    "-c",
    "commit.gpgsign=false",
    ...args,
  ]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/**
 * A throwaway repository holding this checkout's files (as they are on disk, so the preview
 * under test is this one), with its node_modules linked, committed once as the base.
 */
function scratchRepository(dir: string): string {
  const repo = path.join(dir, "repo");
  const files = run(PROJECT_ROOT, "git", ["ls-files", "-co", "--exclude-standard", "-z"])
    .stdout.split("\0")
    .filter((f) => f && fs.existsSync(path.join(PROJECT_ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_ROOT, f), path.join(repo, f));
  }
  fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(repo, "node_modules"), "dir");
  fs.cpSync(
    path.join(PROJECT_ROOT, "handlers", "generated"),
    path.join(repo, "handlers", "generated"),
    { recursive: true },
  );
  git(repo, "init", "-q", "-b", "main");
  fs.appendFileSync(path.join(repo, ".git", "info", "exclude"), "node_modules\n");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "base");
  return repo;
}

describe("npm run preview -- --base <ref>", function () {
  this.timeout(240_000);
  let dir: string;
  let repo: string;
  let tmp: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-base-test-"));
    repo = scratchRepository(dir);
    // The change: the prod API function gets more memory, nothing else.
    const stackFile = path.join(repo, "Pulumi.prod.yaml");
    const text = fs.readFileSync(stackFile, "utf8");
    const raised = text.replace(/(huntaze-api:api:\n\s+memoryMb: )1024/, "$11536");
    assert.notEqual(raised, text, "the prod API memory setting moved");
    fs.writeFileSync(stackFile, raised);
    git(repo, "checkout", "-q", "-b", "more-memory");
    git(repo, "commit", "-q", "-am", "API function: 1536 MB");
    // The preview's temporary checkout goes here, so the test can see it was removed.
    tmp = path.join(dir, "tmp");
    fs.mkdirSync(tmp);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reports exactly the API function's memorySize change and the cost delta", () => {
    const jsonFile = path.join(dir, "preview.json");
    const result = run(
      repo,
      process.execPath,
      [
        "tools/bin/ts-run.js",
        "tools/preview/cli.ts",
        "--stack",
        "prod",
        "--base",
        "main",
        "--cost",
        "--json-file",
        jsonFile,
      ],
      { TMPDIR: tmp, NO_COLOR: "1" },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(fs.readdirSync(tmp), [], "the base's checkout is removed");

    const doc = JSON.parse(fs.readFileSync(jsonFile, "utf8")) as Document;
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.diff.base.ref, "main");
    assert.deepEqual(doc.diff.added, []);
    assert.deepEqual(doc.diff.removed, []);
    assert.deepEqual(doc.diff.replaced, []);
    assert.equal(doc.diff.changed.length, 1, JSON.stringify(doc.diff.changed, null, 2));
    const [changed] = doc.diff.changed;
    assert.equal(changed?.type, "aws:lambda/function:Function");
    assert.match(changed?.urn ?? "", /::api-function$/);
    assert.deepEqual(changed?.changes, [{ path: "memorySize", old: 1024, new: 1536 }]);
    assert.equal(doc.diff.unchanged, (doc.summary.resources as number) - 1);
    assert.deepEqual(doc.diff.policy.new, []);
    assert.equal(doc.summary.update, 1);

    // Lambda compute is priced per GB-second: 1.5× the memory, 1.5× that line.
    assert.ok(doc.cost.delta.deltaMonthlyUsd > 0, JSON.stringify(doc.cost.delta));
    assert.ok(doc.cost.delta.lines.length > 0);
    for (const line of doc.cost.delta.lines) assert.equal(line.service, "Lambda", line.item);
    const sum = doc.cost.delta.lines.reduce((s, l) => s + l.deltaUsd, 0);
    assert.ok(Math.abs(sum - doc.cost.delta.deltaMonthlyUsd) < 0.02);
    assert.ok(
      Math.abs(
        doc.cost.totalMonthlyUsd - doc.cost.base.totalMonthlyUsd - doc.cost.delta.deltaMonthlyUsd,
      ) < 0.02,
    );

    assert.match(result.stdout, /^ {2}~ aws:lambda\/function:Function {2}api-function$/m);
    assert.match(result.stdout, /^ {6}~ memorySize: 1024 → 1536$/m);
    assert.match(result.stdout, /^Resources: ~ 1 to update, \d+ unchanged$/m);
    assert.match(result.stdout, /^Monthly cost: \$[\d,.]+ \(\+\$[\d,.]+ against main: /m);
    assert.doesNotMatch(result.stdout, /^ {2}[+-]/m, "nothing created or deleted");
  });

  it("removes the base's checkout when interrupted with Ctrl-C (SIGINT) and exits 130", async () => {
    const child = spawn(
      process.execPath,
      ["tools/bin/ts-run.js", "tools/preview/cli.ts", "--stack", "prod", "--base", "main"],
      { cwd: repo, env: { ...process.env, TMPDIR: tmp }, stdio: "ignore" },
    );
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    // Interrupt once the checkout exists (its cli.ts is extracted: the base is being prepared).
    const deadline = Date.now() + 60_000;
    let checkout: string | undefined;
    while (!checkout && Date.now() < deadline) {
      checkout = fs
        .readdirSync(tmp)
        .map((d) => path.join(tmp, d))
        .find((d) => fs.existsSync(path.join(d, "tools", "preview", "cli.ts")));
      if (!checkout) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(checkout, "the base's checkout appeared");
    child.kill("SIGINT");
    assert.equal(await exited, 130);
    assert.deepEqual(fs.readdirSync(tmp), [], "nothing left in the temp dir");
  });

  it("fails with exit 2 naming the ref when it does not exist, leaving nothing behind", () => {
    const result = run(
      repo,
      process.execPath,
      [
        "tools/bin/ts-run.js",
        "tools/preview/cli.ts",
        "--stack",
        "prod",
        "--base",
        "no-such-branch",
      ],
      { TMPDIR: tmp },
    );
    assert.equal(result.status, 2);
    assert.match(
      result.stderr,
      /^error: --base no-such-branch: no such commit in this repository; fetch it first/m,
    );
    assert.deepEqual(fs.readdirSync(tmp), []);
  });
});
