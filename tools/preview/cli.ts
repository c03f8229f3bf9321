import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PolicyConfigError } from "../policy/config";
import { mandatoryViolations, type PolicyEvaluation, preparePolicies } from "../policy/evaluate";
import { renderPolicyReport } from "../policy/report";
import { renderCounts, renderOutputs, renderTree } from "./report";
import { ProgramError, type ProgramRun, runProgram } from "./run-program";
import { loadStackConfig, projectMain, StackConfigError } from "./stack-config";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export const USAGE = `Usage: npm run preview -- --stack <staging|prod> [options]

Runs the Pulumi program (Pulumi.yaml's main, from its directory, as the engine does) under
Pulumi's mock runtime with the stack's config from Pulumi.<stack>.yaml and prints what would be
created: no AWS account, CLI or plugin needed. By default it previews a first deploy, as
\`pulumi preview\` does for a new stack: every output AWS computes on create (ids, ARNs, URLs,
endpoints…) is unknown. Then evaluates the CrossGuard policy pack (policies/) on what the
program registered, with policies/config/<stack>.json, and prints the policy report; a
mandatory policy that cannot decide from what is known at preview fails the preview.

Options:
  --stack <name>         stack whose Pulumi.<name>.yaml config applies (required)
  --json                 print one JSON document instead of the tree
  --program <file>       run another Pulumi TypeScript program (from its directory) instead
                         of Pulumi.yaml's main
  --assume-deployed      preview as if every resource already existed (ids, ARNs, URLs known)
  --policy-config <file> policy pack config (--policy-pack-config format) instead of
                         policies/config/<stack>.json
  --cost                 add a monthly cost estimate (us-east-1 list prices, usage from
                         huntaze-api:costAssumptions in the stack config)
  --verbose              print stack traces on errors
  -h, --help             show this help

Exit codes: 0 plan printed, no mandatory policy violation; 1 a mandatory policy violation (or
a mandatory policy that cannot run during preview); 2 bad usage, bad stack or policy config,
a program that throws, or an asset or archive path the engine could not hash.`;

/** Bad command-line usage: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface PreviewOptions {
  stack: string;
  json: boolean;
  /** The program file; undefined runs Pulumi.yaml's main. */
  program?: string;
  /** Preview as for a deployed stack (every output known) instead of a first deploy. */
  assumeDeployed: boolean;
  verbose: boolean;
  help: boolean;
  cost: boolean;
  /** Overrides policies/config/<stack>.json. */
  policyConfig?: string;
}

export function parsePreviewArgs(argv: string[]): PreviewOptions {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        stack: { type: "string", short: "s" },
        json: { type: "boolean", default: false },
        program: { type: "string" },
        "assume-deployed": { type: "boolean", default: false },
        verbose: { type: "boolean", default: false },
        cost: { type: "boolean", default: false },
        "policy-config": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  }
  try {
    parsed = parse();
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see --help)`);
  }
  const v = parsed.values;
  if (v.help)
    return {
      stack: "",
      json: false,
      assumeDeployed: false,
      verbose: false,
      help: true,
      cost: false,
    };
  if (!v.stack) throw new UsageError("missing --stack <name> (e.g. --stack prod)");
  const program = v.program ? path.resolve(v.program) : undefined;
  if (program && !fs.existsSync(program))
    throw new UsageError(`--program ${v.program}: no such file`);
  return {
    stack: v.stack,
    json: v.json ?? false,
    program,
    assumeDeployed: v["assume-deployed"] ?? false,
    verbose: v.verbose ?? false,
    help: false,
    cost: v.cost ?? false,
    policyConfig: v["policy-config"] ? path.resolve(v["policy-config"]) : undefined,
  };
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export function previewJson(run: ProgramRun, policy?: PolicyEvaluation): Record<string, unknown> {
  const policyJson = policy
    ? {
        violations: policy.violations.map(({ policy: p, level, cannotRun, resource, message }) => ({
          policy: p,
          level,
          ...(cannotRun ? { cannotRun } : {}),
          resource,
          message,
        })),
        policyPack: {
          ...policy.pack,
          configFile: policy.configFile,
          policies: policy.policies.map(({ name, kind, level, checked }) => ({
            name,
            kind,
            level,
            checked,
          })),
          mandatoryViolations: mandatoryViolations(policy).length,
          durationMs: Math.round(policy.durationMs),
        },
      }
    : {};
  return {
    project: run.project,
    stack: run.stack,
    mode: run.mode,
    resources: run.resources.map((r) => ({
      type: r.type,
      name: r.name,
      urn: r.urn,
      parent: r.parent || null,
      custom: r.custom,
      dependencies: r.dependencies,
      inputs: r.inputs,
      outputs: r.outputs,
    })),
    outputs: run.outputs,
    ...policyJson,
  };
}

export function describeMode(mode: ProgramRun["mode"]): string {
  return mode === "first-deploy"
    ? "first deploy (as `pulumi preview` on a new stack: outputs AWS computes on create are unknown; --assume-deployed for the deployed view)"
    : "assume deployed (--assume-deployed: every output known, as if each resource already existed)";
}

/** The whole command; returns the process exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let options: PreviewOptions;
  try {
    options = parsePreviewArgs(argv);
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 2;
  }
  if (options.help) {
    io.out(USAGE);
    return 0;
  }
  try {
    const stackConfig = loadStackConfig(PROJECT_ROOT, options.stack);
    // Loaded only for --cost: every preview pays for what it imports.
    const cost = options.cost ? (require("../cost") as typeof import("../cost")) : undefined;
    const costAssumptions = cost?.loadCostAssumptions(stackConfig);
    // A bad policy config fails here, before the program runs.
    const policies = await preparePolicies(options.stack, { configFile: options.policyConfig });
    // As the engine: Pulumi.yaml's main, run from its directory (a --program from its own).
    const main = options.program
      ? { program: options.program, workDir: path.dirname(options.program) }
      : projectMain(PROJECT_ROOT);
    const started = process.hrtime.bigint();
    let run: ProgramRun;
    try {
      run = await runProgram({
        programFile: main.program,
        workDir: main.workDir,
        firstDeploy: !options.assumeDeployed,
        stackConfig,
        stackTraces: options.verbose,
      });
    } catch (err) {
      policies.close();
      throw err;
    }
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const policy = await policies.evaluate(run, stackConfig).finally(() => policies.close());
    const exitCode = mandatoryViolations(policy).length > 0 ? 1 : 0;

    if (options.json) {
      const estimate =
        cost && costAssumptions ? { cost: cost.costForRun(run, stackConfig, costAssumptions) } : {};
      io.out(JSON.stringify({ ...previewJson(run, policy), ...estimate }, null, 2));
      return exitCode;
    }
    const programLabel = path.relative(process.cwd(), main.program) || main.program;
    const workDirLabel = path.relative(process.cwd(), run.workDir) || ".";
    io.out(
      `Previewing stack ${run.project}/${run.stack} offline (${programLabel}, run from ${workDirLabel}/, mock runtime)`,
    );
    io.out(`Mode: ${describeMode(run.mode)}\n`);
    io.out(renderTree(run));
    io.out("\nResources by type:");
    io.out(renderCounts(run));
    if (Object.keys(run.outputs).length > 0) {
      io.out("\nOutputs:");
      io.out(renderOutputs(run));
    }
    if (cost && costAssumptions)
      io.out(`\n${cost.renderCostReport(cost.costForRun(run, stackConfig, costAssumptions))}`);
    io.out(`\n${renderPolicyReport(policy)}`);
    io.out(
      `\nProgram ran in ${(elapsedMs / 1000).toFixed(2)} s under mocks; policies in ${(policy.durationMs / 1000).toFixed(2)} s.`,
    );
    return exitCode;
  } catch (err) {
    if (
      err instanceof StackConfigError ||
      err instanceof UsageError ||
      err instanceof PolicyConfigError
    ) {
      io.err(`error: ${err.message}`);
    } else if (err instanceof ProgramError) {
      io.err(`error: the program failed: ${err.message}`);
      if (options.verbose && err.cause instanceof Error)
        io.err(err.cause.stack ?? String(err.cause));
    } else {
      io.err(`error: ${(err as Error).message ?? String(err)}`);
      if (options.verbose && err instanceof Error) io.err(err.stack ?? "");
    }
    return 2;
  }
}

if (process.argv[1] === __filename) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
