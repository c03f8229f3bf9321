import * as path from "node:path";
import * as readline from "node:readline/promises";
import { parseArgs } from "node:util";
import { ToolError, usageError } from "../lib/errors";
import { deploy, validate } from "./apply";
import { type AwsClientFactory, type AwsClients, createAwsClients } from "./aws";
import { backupDatabase } from "./backup";
import { readOutputs } from "./outputs";
import {
  checkAwsIdentity,
  checkGitClean,
  checkPulumiCli,
  checkPulumiLogin,
  checkStackExists,
  checkTests,
  readDeployConfig,
} from "./prechecks";
import { type CheckResult, type Io, printCheck, renderTable, stepHeader } from "./progress";
import { AutomationPulumi, type Pulumi } from "./pulumi";
import { type CommandRunner, spawnRunner } from "./runner";
import { type Fetch, verifyStack } from "./verify";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export const HELP = `Usage: npm run deploy -- --stack <staging|prod> [options]

Deploys a huntaze-api stack with the policy pack through Pulumi's Automation API, guarded
by pre-checks and a snapshot, then verifies the result in AWS. Needs the Pulumi CLI (which
the Automation API drives; logged in to the stack's backend) and AWS credentials for the
stack's account.

Flow (each step stops the deploy when it fails):
  1. Pre-checks   Pulumi CLI installed (>= 3.58) and logged in; Pulumi.<stack>.yaml sets
                  aws:region and huntaze-api:expectedAccountId, and policies/config/<stack>.json
                  exists; the stack exists in the backend; AWS credentials are valid (STS
                  GetCallerIdentity) for that account; the git working tree is clean;
                  \`npm test\` passes.
  2. Backup       a manual RDS snapshot of the stack's instance (stack output dbInstanceId),
                  named huntaze-api-<stack>-predeploy-<UTC time>, waited on until available.
                  Skipped, with a note, before the data tier's first deploy.
  3. Validate     pulumi preview --stack <stack> --policy-pack policies
                    --policy-pack-config policies/config/<stack>.json
                  Any mandatory policy violation stops here: nothing is deployed.
  4. Deploy       asks for confirmation (unless --yes), then pulumi up with the same pack.
  5. Verify       with the AWS SDK: every alarm in output alarmNames exists, has actions on
                  and is not in ALARM; every log group in logGroupNames exists and expires
                  after huntaze-api:logRetentionDays (default 30; with a database, an
                  RDSOSMetrics group that never expires is a warning, with the one-time
                  fix); Performance Insights is on (dbInstanceId); the app secret
                  (appSecretArn) rotates and is not overdue; email subscriptions on
                  alarmTopicArn are confirmed (pending ones are a warning, with what to do);
                  GET <apiUrl>/health answers 200 with p95 within the latency target; the
                  X-Ray rule samplingRuleName samples at samplingRate. Printed as a table.

Options:
  --stack <name>           stack to deploy (required); Pulumi.<name>.yaml holds its config
  -y, --yes                do not ask for confirmation before pulumi up (CI)
  --skip-tests             do not run \`npm test\` first (says so in the output)
  --allow-dirty            deploy even with uncommitted changes (says so in the output)
  --preview-only           stop after step 3 (pre-checks, backup skipped, validate)
  --verify-only            run the pre-checks for Pulumi/AWS access, then step 5 only
  --latency-target-ms <n>  p95 target for the health check (default 500, the SLO)
  -h, --help               show this help

Exit codes: 0 deployed and verified (warnings allowed); 1 a step or a check failed, or the
deploy was declined; 2 bad usage.`;

export interface DeployOptions {
  stack: string;
  yes: boolean;
  skipTests: boolean;
  allowDirty: boolean;
  previewOnly: boolean;
  verifyOnly: boolean;
  latencyTargetMs: number;
  help: boolean;
}

export function parseDeployArgs(argv: string[]): DeployOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        stack: { type: "string", short: "s" },
        yes: { type: "boolean", short: "y", default: false },
        "skip-tests": { type: "boolean", default: false },
        "allow-dirty": { type: "boolean", default: false },
        "preview-only": { type: "boolean", default: false },
        "verify-only": { type: "boolean", default: false },
        "latency-target-ms": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (err) {
    throw usageError(`${(err as Error).message} (see --help)`);
  }
  const options: DeployOptions = {
    stack: typeof values.stack === "string" ? values.stack : "",
    yes: values.yes === true,
    skipTests: values["skip-tests"] === true,
    allowDirty: values["allow-dirty"] === true,
    previewOnly: values["preview-only"] === true,
    verifyOnly: values["verify-only"] === true,
    latencyTargetMs: 500,
    help: values.help === true,
  };
  if (options.help) return options;
  if (!options.stack) throw usageError("missing --stack <name> (e.g. --stack prod)");
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*){0,2}$/.test(options.stack)) {
    throw usageError(
      `invalid --stack "${options.stack}": use a stack name such as prod (or org/prod)`,
    );
  }
  if (options.previewOnly && options.verifyOnly) {
    throw usageError("--preview-only and --verify-only cannot be combined");
  }
  if (typeof values["latency-target-ms"] === "string") {
    const n = Number(values["latency-target-ms"]);
    if (!Number.isFinite(n) || n <= 0) {
      throw usageError(
        `--latency-target-ms must be a positive number of milliseconds, got "${values["latency-target-ms"]}"`,
      );
    }
    options.latencyTargetMs = n;
  }
  return options;
}

/** Everything the deploy touches outside its own logic, injected so tests can replace it. */
export interface DeployDeps {
  io: Io;
  run: CommandRunner;
  aws: AwsClientFactory;
  fetch: Fetch;
  confirm: (question: string) => Promise<boolean>;
  /** Whether a person can answer the confirmation prompt. */
  interactive: boolean;
  now: () => Date;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  projectRoot: string;
  env: NodeJS.ProcessEnv;
  /** Pulumi itself. @default the Automation API over `projectRoot` */
  pulumi?: Pulumi;
  /** Heartbeat interval for silent long steps. @default 15000 */
  heartbeatMs?: number;
  /** Poll interval while a snapshot is created. @default 15000 */
  snapshotPollMs?: number;
}

async function promptYesNo(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export function defaultDeps(): DeployDeps {
  return {
    io: {
      out: (text) => process.stdout.write(`${text}\n`),
      err: (text) => process.stderr.write(`${text}\n`),
    },
    run: spawnRunner,
    aws: createAwsClients,
    fetch: (url, init) => fetch(url, init),
    confirm: promptYesNo,
    interactive: process.stdin.isTTY === true,
    now: () => new Date(),
    clock: () => performance.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    projectRoot: PROJECT_ROOT,
    env: process.env,
  };
}

/** Prints a check and tells whether the deploy may go on. */
function gate(io: Io, result: CheckResult): boolean {
  printCheck(io, result);
  return result.status !== "fail";
}

/** The five steps; returns the exit code. */
export async function runDeploy(options: DeployOptions, deps: DeployDeps): Promise<number> {
  const { io } = deps;
  const stack = options.stack;
  const shortStack = stack.split("/").pop() ?? stack;
  const pulumi = deps.pulumi ?? new AutomationPulumi(deps.projectRoot, deps.env);
  const started = deps.clock();
  const total = options.verifyOnly || options.previewOnly ? 2 : 5;
  const mode = options.verifyOnly ? " (verify only)" : options.previewOnly ? " (preview only)" : "";
  io.out(`Deploying huntaze-api stack "${stack}"${mode}`);

  // 1. Pre-checks: cheapest first, so a machine without the CLI fails in well under a second.
  stepHeader(io, 1, total, "Pre-checks");
  if (!gate(io, await checkPulumiCli(pulumi))) return 1;
  if (!gate(io, await checkPulumiLogin(pulumi))) return 1;
  const { result: configResult, config } = readDeployConfig(deps.projectRoot, shortStack, stack);
  if (!gate(io, configResult) || !config) return 1;
  const exists = await checkStackExists(pulumi, stack);
  if (!gate(io, exists.result)) return 1;
  const clients: AwsClients = deps.aws(config.region);
  const identity = await checkAwsIdentity(clients.sts, config, deps.env);
  if (!gate(io, identity.result)) return 1;

  let snapshotId: string | undefined;
  if (!options.verifyOnly) {
    const git = await checkGitClean(deps.run, deps.projectRoot, options.allowDirty);
    if (!gate(io, git.result)) return 1;
    if (
      !gate(
        io,
        await checkTests(deps.run, deps.projectRoot, options.skipTests, io, deps.heartbeatMs),
      )
    )
      return 1;

    // 2. Backup (not for a preview: nothing changes).
    if (!options.previewOnly) {
      stepHeader(io, 2, total, "Backup");
      let raw: Record<string, unknown> = {};
      if (exists.hasResources) {
        try {
          raw = await pulumi.outputs(stack);
        } catch (err) {
          if (!(err instanceof ToolError)) throw err;
          io.err(`  [FAIL] stack outputs: ${err.message}`);
          return 1;
        }
      }
      const backup = await backupDatabase({
        rds: clients.rds,
        io,
        stack: shortStack,
        dbInstanceId: readOutputs(raw).dbInstanceId,
        commit: git.commit,
        now: deps.now,
        sleep: deps.sleep,
        pollIntervalMs: deps.snapshotPollMs,
      });
      if (backup.status === "failed") {
        io.err(`  [FAIL] snapshot: ${backup.error}`);
        return 1;
      }
      if (backup.status === "skipped") io.out(`  [skip] snapshot: ${backup.note}`);
      else {
        snapshotId = backup.snapshotId;
        io.out(`  [ok]   snapshot: ${backup.snapshotId} available after ${backup.seconds} s`);
      }
    }

    // 3. Validate.
    stepHeader(
      io,
      options.previewOnly ? 2 : 3,
      total,
      "Validate (pulumi preview with the policy pack)",
    );
    const preview = await validate(pulumi, stack, config.policyConfig, io);
    (preview.ok ? io.out : io.err)(`  ${preview.ok ? "[ok]  " : "[FAIL]"} ${preview.summary}`);
    if (!preview.ok) return 1;
    if (options.previewOnly) {
      io.out(`\nPreview passed; nothing was deployed (--preview-only).`);
      return 0;
    }

    // 4. Deploy.
    stepHeader(io, 4, total, "Deploy (pulumi up with the policy pack)");
    if (!options.yes) {
      if (!deps.interactive) {
        io.err(
          "  [FAIL] confirmation: stdin is not a terminal, so nobody can confirm; pass --yes to deploy non-interactively",
        );
        return 1;
      }
      const confirmed = await deps.confirm(
        `  Deploy stack "${stack}" to account ${identity.accountId} (${config.region}) with the plan above?`,
      );
      if (!confirmed) {
        io.err("  Deploy declined: nothing was changed.");
        return 1;
      }
    }
    const up = await deploy(pulumi, stack, config.policyConfig, io);
    (up.ok ? io.out : io.err)(`  ${up.ok ? "[ok]  " : "[FAIL]"} ${up.summary}`);
    if (!up.ok) {
      if (snapshotId) io.err(`  Pre-deploy snapshot for a data rollback: ${snapshotId}`);
      return 1;
    }
  }

  // 5. Verify.
  stepHeader(io, total, total, "Verify (AWS SDK)");
  let outputs: Record<string, unknown>;
  try {
    outputs = await pulumi.outputs(stack);
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    io.err(`  [FAIL] stack outputs: ${err.message}`);
    return 1;
  }
  const results = await verifyStack({
    clients,
    outputs: readOutputs(outputs),
    fetch: deps.fetch,
    clock: deps.clock,
    now: deps.now,
    latencyTargetMs: options.latencyTargetMs,
    logRetentionDays: config.logRetentionDays,
  });
  io.out(renderTable(results));
  const failed = results.filter((r) => r.status === "fail");
  const warned = results.filter((r) => r.status === "warn");
  const seconds = ((deps.clock() - started) / 1000).toFixed(0);
  if (snapshotId) io.out(`\nPre-deploy snapshot (data rollback point): ${snapshotId}`);
  if (failed.length > 0) {
    io.err(
      `\nVerification failed: ${failed.map((r) => r.name).join(", ")} (${seconds} s). The deploy itself completed; fix the failing checks, then re-run with --verify-only.`,
    );
    return 1;
  }
  io.out(
    `\n${options.verifyOnly ? "Verified" : "Deployed and verified"} stack "${stack}" in ${seconds} s${warned.length ? ` with ${warned.length} warning(s): ${warned.map((r) => r.name).join(", ")}` : ""}.`,
  );
  return 0;
}

export async function main(argv: string[], deps: DeployDeps = defaultDeps()): Promise<number> {
  let options: DeployOptions;
  try {
    options = parseDeployArgs(argv);
  } catch (err) {
    deps.io.err(`error: ${(err as Error).message}`);
    return 2;
  }
  if (options.help) {
    deps.io.out(HELP);
    return 0;
  }
  return runDeploy(options, deps);
}

if (process.argv[1] === __filename) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
