/**
 * The functions' environment, read once and typed (the contract is in docs/HANDLERS.md). Secrets never travel in variables: only ARNs do, plus `DATABASE_URL`/`ACCELERATE_URL`
 * for local runs and tests. Bad values fail loudly with the variable's name and the fix.
 */

export type Stage = "prod" | "staging" | "local";

export interface RuntimeEnv {
  /** `STAGE`: `prod` | `staging`; `local` when unset (dev server, tests). */
  stage: Stage;
  /** `POWERTOOLS_SERVICE_NAME`. @default "huntaze-api" */
  serviceName: string;
  /** `DB_SECRET_ARN`: the application-user secret (rotation JSON). */
  dbSecretArn?: string;
  /** `ACCELERATE_SECRET_ARN`: a secret whose value is the Prisma Accelerate URL. */
  accelerateSecretArn?: string;
  /** `ACCELERATE_URL`: local/tests stand-in for the Accelerate secret. */
  accelerateUrl?: string;
  /** `DATABASE_URL`: local/tests only. */
  databaseUrl?: string;
  /** `SLOW_QUERY_MS`: queries at least this slow are logged (warn). @default 200 */
  slowQueryMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const STAGES: readonly Stage[] = ["prod", "staging", "local"];

function nonEmpty(env: NodeJS.ProcessEnv, key: string): string | undefined {
  const value = env[key]?.trim();
  return value ? value : undefined;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  const stage = (nonEmpty(env, "STAGE") ?? "local") as Stage;
  if (!STAGES.includes(stage)) {
    throw new ConfigError(
      `Environment variable STAGE must be one of prod, staging (got "${env.STAGE}").`,
    );
  }
  const slowRaw = nonEmpty(env, "SLOW_QUERY_MS");
  const slowQueryMs = slowRaw === undefined ? 200 : Number(slowRaw);
  if (!Number.isInteger(slowQueryMs) || slowQueryMs < 0) {
    throw new ConfigError(
      `Environment variable SLOW_QUERY_MS must be a whole number of milliseconds ≥ 0 (got "${slowRaw}").`,
    );
  }
  const dbSecretArn = nonEmpty(env, "DB_SECRET_ARN");
  const accelerateSecretArn = nonEmpty(env, "ACCELERATE_SECRET_ARN");
  for (const [key, value] of [
    ["DB_SECRET_ARN", dbSecretArn],
    ["ACCELERATE_SECRET_ARN", accelerateSecretArn],
  ] as const) {
    if (
      value !== undefined &&
      !/^arn:aws[a-z-]*:secretsmanager:/.test(value) &&
      stage !== "local"
    ) {
      throw new ConfigError(
        `Environment variable ${key} must be a Secrets Manager ARN (arn:aws:secretsmanager:…); never put a secret value in the environment.`,
      );
    }
  }
  return {
    stage,
    serviceName: nonEmpty(env, "POWERTOOLS_SERVICE_NAME") ?? "huntaze-api",
    dbSecretArn,
    accelerateSecretArn,
    accelerateUrl: nonEmpty(env, "ACCELERATE_URL"),
    databaseUrl: nonEmpty(env, "DATABASE_URL"),
    slowQueryMs,
  };
}
