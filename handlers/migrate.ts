/**
 * Entry point of the migration function (`huntaze-api-<stack>-migrate`), invoked synchronously
 * by the stack on deploy (`aws.lambda.Invocation`) whenever the migrations' checksum changes or
 * the database is replaced. It runs in the VPC, because the database is private: a CI runner
 * cannot reach it to run `prisma migrate deploy`.
 *
 * The bundle ships `prisma/migrations` (as `migrations/`) and the schema engine's wasm beside
 * `index.js`. The result — `{ applied, checksum, appUser, appSecretWritten }` — becomes the
 * stack's `migrationsApplied` output. A failure throws: Lambda reports a function error and the
 * invocation, so the deploy, fails with its message.
 *
 * Environment (identifiers only, no secret values): DB_HOST, DB_PORT, DB_NAME, MASTER_SECRET_ARN,
 * DB_SECRET_ARN (the app secret this function fills on the first deploy), DB_APP_USERNAME.
 */
import { join } from "node:path";
import type { Context } from "aws-lambda";
import type { ClientConfig } from "pg";
import { rdsTls } from "./lib/connection";
import { createLogger, type Logger } from "./lib/logger";
import { loadMigrationsFromDir, type WasmSource } from "./lib/migrations";
import {
  type MigrationReport,
  MigrationRunError,
  type MigrationTarget,
  runMigrations,
} from "./migration/run";
import { type SecretStore, secretsManagerStore } from "./migration/secret-store";

export type { MigrationReport } from "./migration/run";

const REQUIRED_ENV = [
  "DB_HOST",
  "DB_PORT",
  "DB_NAME",
  "MASTER_SECRET_ARN",
  "DB_SECRET_ARN",
  "DB_APP_USERNAME",
] as const;

/** Reads the target from the environment; names the variable that is missing or malformed. */
export function readTarget(env: NodeJS.ProcessEnv): MigrationTarget {
  const value = (name: (typeof REQUIRED_ENV)[number]): string => {
    const v = env[name]?.trim();
    if (!v) {
      throw new MigrationRunError(
        `Environment variable ${name} is required (the stack sets it on huntaze-api-<stack>-migrate).`,
      );
    }
    return v;
  };
  const port = Number(value("DB_PORT"));
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MigrationRunError(
      `Environment variable DB_PORT must be a TCP port (got "${env.DB_PORT}").`,
    );
  }
  return {
    host: value("DB_HOST"),
    port,
    database: value("DB_NAME"),
    masterSecretArn: value("MASTER_SECRET_ARN"),
    appSecretArn: value("DB_SECRET_ARN"),
    appUsername: value("DB_APP_USERNAME"),
  };
}

/** The invocation's input: `{ "checksum": "<sha256 of the migrations>" }` (optional). */
function expectedChecksumOf(event: unknown): string | undefined {
  if (typeof event !== "object" || event === null) return undefined;
  const checksum = (event as { checksum?: unknown }).checksum;
  return typeof checksum === "string" ? checksum : undefined;
}

export interface MigrateHandlerOptions {
  env?: NodeJS.ProcessEnv;
  secrets?: SecretStore;
  /** @default `migrations/` beside the bundle */
  migrationsDir?: string;
  /** @default RDS TLS with certificate verification */
  ssl?: ClientConfig["ssl"];
  wasm?: WasmSource;
  logger?: Logger;
  generatePassword?: () => string;
  authRetryDelayMs?: number;
}

export function createMigrateHandler(options: MigrateHandlerOptions = {}) {
  const logger = options.logger ?? createLogger();
  return async (event: unknown, context?: Context): Promise<MigrationReport> => {
    if (context) logger.addContext(context);
    try {
      const target = readTarget(options.env ?? process.env);
      const migrations = await loadMigrationsFromDir(
        options.migrationsDir ?? join(__dirname, "migrations"),
      );
      const report = await runMigrations({
        target,
        secrets: options.secrets ?? secretsManagerStore(),
        migrations,
        ssl: options.ssl ?? rdsTls(),
        expectedChecksum: expectedChecksumOf(event),
        wasm: options.wasm,
        generatePassword: options.generatePassword,
        authRetryDelayMs: options.authRetryDelayMs,
        log: (message, details) => logger.info(message, details ?? {}),
      });
      logger.info("migration run finished", { ...report });
      return report;
    } catch (err) {
      logger.error("migration run failed", err as Error);
      throw err;
    }
  };
}

export const handler = createMigrateHandler();
