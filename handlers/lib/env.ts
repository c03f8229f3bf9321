/**
 * The functions' environment, read once and typed (the contract is in docs/HANDLERS.md). Secrets
 * never travel in variables: only ARNs do, plus `DATABASE_URL` for local runs and tests. Bad values fail loudly with the variable's name and the fix.
 */

export type Stage = "prod" | "staging" | "local";

export interface RuntimeEnv {
  /** `STAGE`: `prod` | `staging`; `local` when unset (dev server, tests). */
  stage: Stage;
  /** `POWERTOOLS_SERVICE_NAME`. @default "huntaze-api" */
  serviceName: string;
  /** `DB_SECRET_ARN`: the application-user secret (rotation JSON). */
  dbSecretArn?: string;
  /**
   * `DB_PROXY_HOST`: the RDS Proxy endpoint (`database.pooler: rds-proxy`). Connections go there
   * instead of the secret's `host`, which stays the instance's (the rotation function needs it).
   */
  dbProxyHost?: string;
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
  refuseAccelerate(env);
  const dbSecretArn = nonEmpty(env, "DB_SECRET_ARN");
  if (
    dbSecretArn !== undefined &&
    !/^arn:aws[a-z-]*:secretsmanager:/.test(dbSecretArn) &&
    stage !== "local"
  ) {
    throw new ConfigError(
      "Environment variable DB_SECRET_ARN must be a Secrets Manager ARN (arn:aws:secretsmanager:…); never put a secret value in the environment.",
    );
  }
  return {
    stage,
    serviceName: nonEmpty(env, "POWERTOOLS_SERVICE_NAME") ?? "huntaze-api",
    dbSecretArn,
    dbProxyHost: nonEmpty(env, "DB_PROXY_HOST"),
    databaseUrl: nonEmpty(env, "DATABASE_URL"),
    slowQueryMs,
  };
}

/** Variables of the retired Prisma Accelerate mode: refused, so nobody deploys a dead path. */
export const RETIRED_ACCELERATE_VARIABLES = ["ACCELERATE_SECRET_ARN", "ACCELERATE_URL"] as const;

/**
 * Prisma Accelerate was retired on December 1, 2026 (prisma.io/docs/accelerate/getting-started).
 * A function still configured for it must fail loudly rather than quietly use another database
 * path its operators did not choose.
 */
function refuseAccelerate(env: NodeJS.ProcessEnv): void {
  const set = RETIRED_ACCELERATE_VARIABLES.filter((key) => nonEmpty(env, key) !== undefined);
  if (set.length === 0) return;
  throw new ConfigError(
    `Environment variable ${set.join(" and ")} is no longer supported: Prisma Accelerate was retired on December 1, 2026; remove it and connect with DB_SECRET_ARN (directly, or through RDS Proxy with database.pooler: rds-proxy; docs/CONNECTIONS.md).`,
  );
}
