import * as fs from "node:fs";
import * as path from "node:path";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { ToolError } from "../lib/errors";
import { loadStackConfig } from "../preview/stack-config";
import { describeAwsError } from "./aws";
import { type CheckResult, type Io, withHeartbeat } from "./progress";
import { MIN_PULUMI_VERSION, PULUMI_INSTALL_HINT, type Pulumi, versionAtLeast } from "./pulumi";
import { type CommandRunner, tail } from "./runner";

export const EXPECTED_ACCOUNT_KEY = "huntaze-api:expectedAccountId";
export const LOG_RETENTION_KEY = "huntaze-api:logRetentionDays";
/** infra/config.ts's default for {@link LOG_RETENTION_KEY}. */
export const DEFAULT_LOG_RETENTION_DAYS = 30;

const ok = (name: string, detail: string): CheckResult => ({ name, status: "ok", detail });
const fail = (name: string, detail: string): CheckResult => ({ name, status: "fail", detail });
const warn = (name: string, detail: string): CheckResult => ({ name, status: "warn", detail });

export async function checkPulumiCli(pulumi: Pulumi): Promise<CheckResult> {
  const name = "Pulumi CLI";
  let version: string | null;
  try {
    version = await pulumi.version();
  } catch (err) {
    return fail(name, (err as Error).message);
  }
  if (version === null) return fail(name, `\`pulumi\` is not on PATH: ${PULUMI_INSTALL_HINT}`);
  if (!versionAtLeast(version, MIN_PULUMI_VERSION)) {
    return fail(
      name,
      `version ${version} is too old (need >= ${MIN_PULUMI_VERSION}); upgrade: ${PULUMI_INSTALL_HINT}`,
    );
  }
  return ok(name, `v${version}`);
}

export async function checkPulumiLogin(pulumi: Pulumi): Promise<CheckResult> {
  const name = "Pulumi login";
  try {
    const who = await pulumi.whoami();
    return ok(name, `${who.user}${who.url ? ` on ${who.url}` : ""}`);
  } catch (err) {
    const why = err instanceof ToolError ? err.message : String(err);
    return fail(
      name,
      `not logged in to a Pulumi backend (${why}); run \`pulumi login\` (Pulumi Cloud) or \`pulumi login s3://<bucket>\` for a self-managed backend`,
    );
  }
}

/** What the deploy needs from `Pulumi.<stack>.yaml`, read offline (no decryption needed). */
export interface DeployConfig {
  stackFile: string;
  region: string;
  expectedAccountId: string;
  /** Project-relative path of the policy pack config passed to `--policy-pack-config`. */
  policyConfig: string;
  /**
   * The retention every stack log group must have in AWS (`huntaze-api:logRetentionDays`).
   * @default 30
   */
  logRetentionDays: number;
}

export function readDeployConfig(
  projectRoot: string,
  shortStack: string,
  stackFlag: string,
): { result: CheckResult; config?: DeployConfig } {
  const name = "stack config";
  let loaded: ReturnType<typeof loadStackConfig>;
  try {
    loaded = loadStackConfig(projectRoot, shortStack);
  } catch (err) {
    if (err instanceof ToolError) return { result: fail(name, err.message) };
    throw err;
  }
  const region = loaded.config["aws:region"];
  if (!region) {
    return {
      result: fail(
        name,
        `aws:region is not set in ${loaded.stackFile}; run \`pulumi config set aws:region us-east-1 --stack ${stackFlag}\``,
      ),
    };
  }
  const account = loaded.config[EXPECTED_ACCOUNT_KEY];
  if (!account || !/^\d{12}$/.test(account)) {
    return {
      result: fail(
        name,
        `${EXPECTED_ACCOUNT_KEY} must be the 12-digit AWS account id this stack deploys to (${loaded.stackFile}${account ? `, got "${account}"` : ", not set"}); run \`pulumi config set ${EXPECTED_ACCOUNT_KEY} <account id> --stack ${stackFlag}\``,
      ),
    };
  }
  // infra/config.ts validates the value against CloudWatch's list at preview; here it only has
  // to be a number the verification can compare with what AWS reports.
  const retentionText = loaded.config[LOG_RETENTION_KEY];
  const logRetentionDays =
    retentionText === undefined ? DEFAULT_LOG_RETENTION_DAYS : Number(retentionText);
  if (!Number.isInteger(logRetentionDays) || logRetentionDays <= 0) {
    return {
      result: fail(
        name,
        `${LOG_RETENTION_KEY} must be a whole number of days such as 30 (${loaded.stackFile}, got "${retentionText}"); run \`pulumi config set ${LOG_RETENTION_KEY} 30 --stack ${stackFlag}\``,
      ),
    };
  }
  const policyConfig = path.posix.join("policies", "config", `${shortStack}.json`);
  if (!fs.existsSync(path.join(projectRoot, policyConfig))) {
    return {
      result: fail(
        name,
        `${policyConfig} does not exist: every deployable stack needs a policy pack config (copy policies/config/prod.json and adjust it)`,
      ),
    };
  }
  return {
    result: ok(
      name,
      `${loaded.stackFile}: region ${region}, account ${account}, policy config ${policyConfig}, log retention ${logRetentionDays} days`,
    ),
    config: {
      stackFile: loaded.stackFile,
      region,
      expectedAccountId: account,
      policyConfig,
      logRetentionDays,
    },
  };
}

/** Whether the backend knows the stack; `hasResources` is false before the first deploy. */
export async function checkStackExists(
  pulumi: Pulumi,
  stack: string,
): Promise<{ result: CheckResult; hasResources: boolean }> {
  const name = "stack exists";
  let stacks: Awaited<ReturnType<Pulumi["listStacks"]>>;
  try {
    stacks = await pulumi.listStacks();
  } catch (err) {
    return { result: fail(name, (err as Error).message), hasResources: false };
  }
  const short = stack.split("/").pop() ?? stack;
  const found = stacks.find(
    (s) => s.name === stack || (!stack.includes("/") && s.name.split("/").pop() === short),
  );
  if (!found) {
    const known = stacks.map((s) => s.name).join(", ") || "none";
    return {
      result: fail(
        name,
        `stack "${stack}" does not exist in this backend (stacks: ${known}); create it with \`pulumi stack init ${stack}\` — the config in Pulumi.${short}.yaml is picked up`,
      ),
      hasResources: false,
    };
  }
  const count = found.resourceCount ?? 0;
  return {
    result: ok(
      name,
      count > 0
        ? `${found.name}: ${count} resources, last update ${found.lastUpdate ?? "unknown"}`
        : `${found.name}: no resources yet (first deploy)`,
    ),
    hasResources: count > 0,
  };
}

/**
 * Valid credentials for the account the stack config expects. The region comes from the
 * stack config (`aws:region`), which is also what the Pulumi AWS provider uses; a different
 * AWS_REGION in the environment is reported because it usually means the wrong profile.
 */
export async function checkAwsIdentity(
  sts: STSClient,
  config: DeployConfig,
  env: NodeJS.ProcessEnv,
): Promise<{ result: CheckResult; accountId?: string }> {
  const name = "AWS credentials";
  let identity: { Account?: string; Arn?: string };
  try {
    identity = await sts.send(new GetCallerIdentityCommand({}));
  } catch (err) {
    return { result: fail(name, describeAwsError(err)) };
  }
  if (identity.Account !== config.expectedAccountId) {
    return {
      result: fail(
        name,
        `the credentials belong to account ${identity.Account} (${identity.Arn}), but ${config.stackFile} expects ${config.expectedAccountId} (${EXPECTED_ACCOUNT_KEY}); switch AWS_PROFILE to that account`,
      ),
    };
  }
  const envRegion = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (envRegion && envRegion !== config.region) {
    return {
      result: warn(
        name,
        `${identity.Arn} in account ${identity.Account}; AWS_REGION=${envRegion} differs from aws:region ${config.region} in ${config.stackFile} — the deploy and every check use ${config.region}`,
      ),
      accountId: identity.Account,
    };
  }
  return {
    result: ok(name, `${identity.Arn} in account ${identity.Account}, region ${config.region}`),
    accountId: identity.Account,
  };
}

/** A deploy must match a commit, so what runs in AWS can be traced back and re-deployed. */
export async function checkGitClean(
  run: CommandRunner,
  projectRoot: string,
  allowDirty: boolean,
): Promise<{ result: CheckResult; commit?: string }> {
  const name = "working tree clean";
  const status = await run("git", ["status", "--porcelain"], { cwd: projectRoot });
  if (status.notFound) return { result: fail(name, "git is not installed or not on PATH") };
  if (status.code !== 0) {
    return { result: fail(name, `\`git status\` failed: ${tail(status.stderr, 2)}`) };
  }
  const head = await run("git", ["rev-parse", "--short", "HEAD"], { cwd: projectRoot });
  const commit = head.code === 0 ? head.stdout.trim() : undefined;
  const changed = status.stdout.split("\n").filter((l) => l.trim() !== "");
  if (changed.length === 0) return { result: ok(name, `at commit ${commit ?? "unknown"}`), commit };
  const list = changed
    .slice(0, 8)
    .map((l) => l.slice(3))
    .join(", ");
  const more = changed.length > 8 ? ` and ${changed.length - 8} more` : "";
  const detail = `${changed.length} uncommitted change(s): ${list}${more}`;
  if (allowDirty) {
    return {
      result: warn(name, `${detail} — deploying anyway (--allow-dirty)`),
      commit: commit ? `${commit}-dirty` : undefined,
    };
  }
  return {
    result: fail(
      name,
      `${detail}; commit them (the deploy must match a commit) or pass --allow-dirty`,
    ),
    commit,
  };
}

export async function checkTests(
  run: CommandRunner,
  projectRoot: string,
  skip: boolean,
  io: Io,
  heartbeatMs?: number,
): Promise<CheckResult> {
  const name = "npm test";
  if (skip) return warn(name, "skipped (--skip-tests): the deploy is not gated on the test suite");
  io.out("  … running `npm test` (typecheck, lint, unit tests)");
  const started = Date.now();
  const result = await withHeartbeat(
    io,
    "npm test",
    run("npm", ["test"], { cwd: projectRoot }),
    heartbeatMs,
  );
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (result.notFound) return fail(name, "npm is not on PATH");
  if (result.code !== 0) {
    const output = tail(`${result.stdout}\n${result.stderr}`, 25);
    return fail(
      name,
      `failed after ${seconds} s (exit ${result.code}); fix the tests or pass --skip-tests deliberately. Last lines:\n${output}`,
    );
  }
  return ok(name, `passed in ${seconds} s`);
}
