import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { usageError } from "../lib/errors";
import { mandatoryViolations, type PolicyEvaluation, preparePolicies } from "../policy/evaluate";
import { renderPolicyReport } from "../policy/report";
import { type BasePreview, runBasePreview } from "./base";
import { renderCostDelta } from "./diff-report";
import { locateProgramError, reportError } from "./errors";
import { plainStyle, styleFor } from "./format";
import {
  compare,
  type PreviewResult,
  planDocument,
  renderComparison,
  renderOutputs,
  renderSummary,
  withComparison,
} from "./output";
import { renderTree } from "./report";
import { type ProgramRun, runProgram } from "./run-program";
import { writeSarif } from "./sarif";
import { loadStackConfig, projectMain } from "./stack-config";
import { typeCheckProgram } from "./typecheck";

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
  --json                 print one JSON document instead of the tree (errors too)
  --json-file <file>     also write the JSON document to <file> (works through npm's banner)
  --base <git ref>       compare with the same stack at <ref> (its own code, config and pack):
                         changed resources by URN, new policy findings, cost delta
  --sarif <file>         write the policy findings as SARIF 2.1.0 (code scanning)
  --program <file>       run another Pulumi TypeScript program (from its directory) instead
                         of Pulumi.yaml's main
  --assume-deployed      preview as if every resource already existed (ids, ARNs, URLs known)
  --policy-config <file> policy pack config (--policy-pack-config format) instead of
                         policies/config/<stack>.json
  --cost                 add a monthly cost estimate (us-east-1 list prices, usage from
                         huntaze-api:costAssumptions in the stack config)
  --cost-only            print only the cost estimate (implies --cost)
  --typecheck            type-check the program first (TypeScript errors with file:line:column
                         and code frame; takes seconds: the preview itself only transpiles)
  --verbose              print stack traces on errors
  -h, --help             show this help

Exit codes: 0 plan printed, no mandatory policy violation; 1 a mandatory policy violation (or
a mandatory policy that cannot run during preview); 2 bad usage, bad stack or policy config,
a program that throws, or an asset or archive path the engine could not hash.`;

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
  /** Git ref to compare with (`--base`). */
  base?: string;
  /** Where to also write the JSON document (`--json-file`). */
  jsonFile?: string;
  /** Where to write the SARIF report (`--sarif`). */
  sarif?: string;
  costOnly?: boolean;
  typecheck?: boolean;
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
        base: { type: "string" },
        "json-file": { type: "string" },
        sarif: { type: "string" },
        "cost-only": { type: "boolean", default: false },
        typecheck: { type: "boolean", default: false },
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
      assumeDeployed: false,
      verbose: false,
      help: true,
      cost: false,
    };
  if (!v.stack) throw usageError("missing --stack <name> (e.g. --stack prod)");
  const program = v.program ? path.resolve(v.program) : undefined;
  if (program && !fs.existsSync(program)) throw usageError(`--program ${v.program}: no such file`);
  if (v.base !== undefined && v.program) {
    throw usageError(
      "--base compares the project's program (Pulumi.yaml's main) at two git refs; it does not take --program",
    );
  }
  return {
    stack: v.stack,
    json: v.json ?? false,
    program,
    assumeDeployed: v["assume-deployed"] ?? false,
    verbose: v.verbose ?? false,
    help: false,
    cost: (v.cost ?? false) || (v["cost-only"] ?? false),
    policyConfig: v["policy-config"] ? path.resolve(v["policy-config"]) : undefined,
    base: v.base,
    jsonFile: v["json-file"] ? path.resolve(v["json-file"]) : undefined,
    sarif: v.sarif ? path.resolve(v.sarif) : undefined,
    costOnly: v["cost-only"] ?? false,
    typecheck: v.typecheck ?? false,
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
          exemptionsJudgedOn: policy.exemptionsJudgedOn,
          exemptions: policy.exemptions,
          durationMs: Math.round(policy.durationMs),
        },
      }
    : {};
  return {
    project: run.project,
    stack: run.stack,
    mode: run.mode,
    ...planDocument(run),
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
    return reportError(err, { json: argv.includes("--json"), verbose: false }, io);
  }
  if (options.help) {
    io.out(USAGE);
    return 0;
  }
  const style = io === processIo ? styleFor(process.stdout) : plainStyle;
  const baseAbort = new AbortController();
  let basePreview: Promise<BasePreview> | undefined;
  try {
    const stackConfig = loadStackConfig(PROJECT_ROOT, options.stack);
    // As the engine: Pulumi.yaml's main, run from its directory (a --program from its own).
    const main = options.program
      ? { program: options.program, workDir: path.dirname(options.program) }
      : projectMain(PROJECT_ROOT);
    if (options.typecheck) typeCheckProgram(main.program, PROJECT_ROOT);
    // Loaded only for --cost: every preview pays for what it imports.
    const cost = options.cost ? (require("../cost") as typeof import("../cost")) : undefined;
    const costAssumptions = cost?.loadCostAssumptions(stackConfig);
    // A bad policy config fails here, before the program runs.
    const policies = await preparePolicies(options.stack, { configFile: options.policyConfig });
    // The base previews in a child process while this one runs the change's program.
    basePreview = options.base
      ? runBasePreview({
          ref: options.base,
          stack: options.stack,
          cost: options.cost,
          assumeDeployed: options.assumeDeployed,
          projectRoot: PROJECT_ROOT,
          signal: baseAbort.signal,
        })
      : undefined;
    basePreview?.catch(() => undefined); // awaited below; never an unhandled rejection
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
      throw await locateProgramError(err, () =>
        runProgram({
          programFile: main.program,
          workDir: main.workDir,
          firstDeploy: !options.assumeDeployed,
          stackConfig,
          stackTraces: true,
        }),
      );
    }
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const policy = await policies.evaluate(run, stackConfig).finally(() => policies.close());
    const exitCode = mandatoryViolations(policy).length > 0 ? 1 : 0;
    const estimate =
      cost && costAssumptions ? cost.costForRun(run, stackConfig, costAssumptions) : undefined;
    const result: PreviewResult = { run, policy, cost: estimate, base: await basePreview };
    const comparison = compare(result);
    const document = withComparison(previewJson(run, policy), result, comparison);

    if (options.jsonFile)
      fs.writeFileSync(options.jsonFile, `${JSON.stringify(document, null, 2)}\n`);
    if (options.sarif) writeSarif(options.sarif, run, policy, PROJECT_ROOT);
    if (options.json) {
      io.out(JSON.stringify(document, null, 2));
      return exitCode;
    }
    if (options.costOnly && estimate && cost) {
      if (comparison?.cost)
        io.out(`${renderCostDelta(comparison.cost.delta, options.base ?? "")}\n`);
      io.out(cost.renderCostReport(estimate));
      return exitCode;
    }
    const programLabel = path.relative(process.cwd(), main.program) || main.program;
    const workDirLabel = path.relative(process.cwd(), run.workDir) || ".";
    io.out(
      `Previewing stack ${run.project}/${run.stack} offline (${programLabel}, run from ${workDirLabel}/, mock runtime)`,
    );
    io.out(`Mode: ${describeMode(run.mode)}\n`);
    if (comparison) {
      io.out(renderComparison(comparison, style));
    } else {
      io.out(renderTree(run));
      io.out(`\n${renderSummary(run, style)}`);
      if (Object.keys(run.outputs).length > 0) {
        io.out("\nOutputs:");
        io.out(renderOutputs(run));
      }
      if (cost && estimate) io.out(`\n${cost.renderCostReport(estimate)}`);
    }
    io.out(`\n${renderPolicyReport(policy)}`);
    io.out(
      `\nProgram ran in ${(elapsedMs / 1000).toFixed(2)} s under mocks; policies in ${(policy.durationMs / 1000).toFixed(2)} s.`,
    );
    return exitCode;
  } catch (err) {
    baseAbort.abort();
    await basePreview?.catch(() => undefined);
    return reportError(err, options, io);
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
