import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ToolError, usageError } from "../lib/errors";
import { mandatoryViolations, type PolicyEvaluation, preparePolicies } from "../policy/evaluate";
import { renderPolicyReport } from "../policy/report";
import { renderCounts, renderOutputs, renderTree } from "./report";
import { type ProgramRun, runProgram } from "./run-program";
import { loadStackConfig } from "./stack-config";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const DEFAULT_PROGRAM = path.join(PROJECT_ROOT, "infra", "index.ts");

export const USAGE = `Usage: npm run preview -- --stack <staging|prod> [options]

Runs the Pulumi program under Pulumi's mock runtime with the stack's config from
Pulumi.<stack>.yaml and prints what would be created: no AWS account, CLI or plugin needed.
Then evaluates the CrossGuard policy pack (policies/) on what the program registered, with
policies/config/<stack>.json, and prints the policy report.

Options:
  --stack <name>         stack whose Pulumi.<name>.yaml config applies (required)
  --json                 print one JSON document instead of the tree
  --program <file>       run another Pulumi TypeScript program instead of infra/index.ts
  --policy-config <file> policy pack config (--policy-pack-config format) instead of
                         policies/config/<stack>.json
  --cost                 add a monthly cost estimate (us-east-1 list prices, usage from
                         huntaze-api:costAssumptions in the stack config)
  --verbose              print stack traces on errors
  -h, --help             show this help

Exit codes: 0 plan printed, no mandatory policy violation; 1 a mandatory policy violation;
2 bad usage, bad stack or policy config, or a program that throws.`;

export interface PreviewOptions {
  stack: string;
  json: boolean;
  program: string;
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
    throw usageError(`${(err as Error).message} (see --help)`);
  }
  const v = parsed.values;
  if (v.help)
    return {
      stack: "",
      json: false,
      program: DEFAULT_PROGRAM,
      verbose: false,
      help: true,
      cost: false,
    };
  if (!v.stack) throw usageError("missing --stack <name> (e.g. --stack prod)");
  const program = v.program ? path.resolve(v.program) : DEFAULT_PROGRAM;
  if (!fs.existsSync(program)) throw usageError(`--program ${v.program}: no such file`);
  return {
    stack: v.stack,
    json: v.json ?? false,
    program,
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
        violations: policy.violations.map(({ policy: p, level, resource, message }) => ({
          policy: p,
          level,
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
    const started = process.hrtime.bigint();
    let run: ProgramRun;
    try {
      run = await runProgram({
        programFile: options.program,
        stackConfig,
        stackTraces: options.verbose,
      });
    } catch (err) {
      policies.close();
      if (!(err instanceof ToolError)) throw err;
      throw new ToolError(`the program failed: ${err.message}`, err.exitCode, { cause: err.cause });
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
    const programLabel = path.relative(process.cwd(), options.program) || options.program;
    io.out(
      `Previewing stack ${run.project}/${run.stack} offline (${programLabel}, mock runtime)\n`,
    );
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
    if (err instanceof ToolError) {
      io.err(`error: ${err.message}`);
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
