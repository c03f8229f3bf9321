/**
 * The program's one typed view of stack config. Everything is read and validated here, before
 * any resource is declared; components receive plain typed values and never read config.
 *
 * The keys are declared once, as a zod schema per area (infra/config/app.ts, data-tier.ts,
 * auth.ts), with the production values as defaults (secure by default: a stack relaxes one only
 * by setting its key explicitly, e.g. staging's `applicationLogLevel: INFO`). Rules across keys
 * and the shape components take are in infra/config/schema.ts; the types below are inferred
 * from it. To add a key: declare it in its area's keys, then place it in that area's settings.
 * Keys that no schema declares are rejected as typos.
 */
import * as pulumi from "@pulumi/pulumi";
import { distance } from "fastest-levenshtein";
import { ConfigError, formatIssues } from "./config/format";
import { keysShape, stackConfigSchema, TOOL_ONLY_KEYS } from "./config/schema";
import type * as z from "./config/zod.bundle";

export {
  API_EXECUTION_LOG_LEVELS,
  APPLICATION_LOG_LEVELS,
  type ApiExecutionLogLevel,
  type ApplicationLogLevel,
  LOG_RETENTION_DAYS,
  STAGES,
  type Stage,
  SYSTEM_LOG_LEVELS,
  type SystemLogLevel,
} from "./config/app";
export { MFA_MODES, type MfaMode } from "./config/auth";
export { POOLERS, type Pooler } from "./config/data-tier";
export { ConfigError } from "./config/format";
export { TOOL_ONLY_KEYS } from "./config/schema";

/** The validated stack config, in the shape components take. */
export type InfraConfig = z.output<typeof stackConfigSchema>;
export type FunctionSettings = Pick<
  InfraConfig["api"],
  "memoryMb" | "timeoutSeconds" | "reservedConcurrency" | "durationP95Ms"
>;
export type WorkerSettings = InfraConfig["worker"];
export type NetworkSettings = InfraConfig["network"];
export type DatabaseSettings = InfraConfig["database"];
export type DatabaseAlarmSettings = DatabaseSettings["alarms"];
export type ProxySettings = NonNullable<DatabaseSettings["proxy"]>;
export type AuthSettings = InfraConfig["auth"];
export type CreatedPoolSettings = Extract<AuthSettings["pool"], { kind: "created" }>;
export type ExistingPoolSettings = Extract<AuthSettings["pool"], { kind: "existing" }>;
export type OidcSettings = Extract<AuthSettings["pool"], { kind: "oidc" }>;
export type FirewallSettings = InfraConfig["firewall"];

export interface ConfigSource {
  /** Pulumi project name: the namespace of the keys the program owns. */
  project: string;
  stack: string;
  /** The stack file the values come from, for messages (`Pulumi.prod.yaml`). */
  stackFile: string;
  /** Namespaced keys → values as the CLI passes them (strings; objects and lists as JSON). */
  values: Record<string, string>;
  /** Keys whose values are Pulumi secrets (`pulumi config set --secret`). */
  secretKeys?: readonly string[];
}

/** The one key of another namespace the program reads. */
const REGION_KEY = "aws:region";

/** Validates raw stack config (as `PULUMI_CONFIG` holds it); throws `ConfigError` on any problem. */
export function parseConfig(source: ConfigSource): InfraConfig {
  const { project, stackFile } = source;
  const prefix = `${project}:`;
  const keys: Record<string, string> = {};
  const problems: string[] = [];
  for (const key of Object.keys(source.values).sort()) {
    const namespace = key.slice(0, Math.max(0, key.indexOf(":")));
    if (key.startsWith(prefix)) {
      const name = key.slice(prefix.length);
      if (!(TOOL_ONLY_KEYS as readonly string[]).includes(name)) keys[name] = source.values[key];
    } else if (key === REGION_KEY) {
      keys[key] = source.values[key];
    } else if (namespace && distance(namespace, project) <= 2) {
      // A namespace one or two typos from the project's (`huntaze-apii:`) is nobody's: Pulumi
      // would pass it to no program or provider, and the setting would silently not apply.
      problems.push(
        `${key} is in namespace "${namespace}", not this project's; did you mean ${prefix}${key.slice(namespace.length + 1)}? (${stackFile})`,
      );
    }
    // Keys of other namespaces (`aws:profile`, …) are the providers' business.
  }

  // Every value here ends up in resource inputs and outputs as plain text, where `--secret`
  // would not protect it; refusing is the only way not to leak it (nor to print it below).
  const secrets = (source.secretKeys ?? []).filter(
    (key) =>
      key === REGION_KEY || (key.startsWith(prefix) && key.slice(prefix.length) in keysShape),
  );
  if (secrets.length > 0) {
    throw new ConfigError(
      secrets.map(
        (key) =>
          `${key} must not be a secret: the program uses it in resource settings as plain text, where --secret would not protect it; set it again without --secret (${stackFile})`,
      ),
    );
  }

  // One parse per process: zod's compiled fast path for objects would cost more than it saves.
  const result = stackConfigSchema.safeParse(
    { project, stack: source.stack, stackFile, keys },
    { jitless: true },
  );
  if (!result.success) {
    problems.unshift(
      ...formatIssues(result.error.issues, ["keys"], {
        project,
        stackFile,
        keys: keysShape,
        otherKeys: TOOL_ONLY_KEYS,
      }),
    );
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** Which config keys the running program received as secrets. */
function secretKeysOf(values: Record<string, string>): string[] {
  // The SDK's own test (runtime/config.ts `isConfigSecret`), left out of its typings; the
  // language host's environment variable is the fallback.
  const isSecret = (pulumi.runtime as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  if (isSecret) return Object.keys(values).filter((key) => isSecret(key));
  const fromEnv: unknown = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS || "[]");
  return Array.isArray(fromEnv) ? fromEnv.map(String) : [];
}

/** Reads the running stack's config from the Pulumi runtime and validates it. */
export function loadConfig(): InfraConfig {
  const stack = pulumi.getStack();
  const values = pulumi.runtime.allConfig();
  return parseConfig({
    project: pulumi.getProject(),
    stack,
    stackFile: `Pulumi.${stack}.yaml`,
    values,
    secretKeys: secretKeysOf(values),
  });
}
