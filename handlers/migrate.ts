/**
 * Entry point of the migration function (`huntaze-api-<stack>-migrate`), invoked synchronously
 * by the stack on deploy (`aws.lambda.Invocation`) whenever the migrations' checksum changes or
 * the database is replaced. It runs in the VPC, because the database is private: a CI runner
 * cannot reach it to run `prisma migrate deploy`.
 *
 * The same function takes one operator request, never sent by the deploy:
 * `{ "resolve": { "rolledBack": "<migration name>" } }` marks that failed migration rolled back
 * (`prisma migrate resolve --rolled-back`), so a failed migration is cleared without a SQL session
 * in the VPC (migration/event.ts, migration/resolve.ts, docs/DEPLOYMENT.md).
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
import { type ApplyEvent, parseMigrateEvent, type ResolveEvent } from "./migration/event";
import { type ResolveReport, resolveRolledBack } from "./migration/resolve";
import {
  type MigrationReport,
  MigrationRunError,
  type MigrationTarget,
  runMigrations,
} from "./migration/run";
import { type SecretStore, secretsManagerStore } from "./migration/secret-store";

export type { ApplyEvent, ResolveEvent } from "./migration/event";
export type { ResolveReport } from "./migration/resolve";
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

/** An apply answers a MigrationReport (the stack's `migrationsApplied`), a resolve a ResolveReport. */
export interface MigrateHandler {
  (event: ResolveEvent, context?: Context): Promise<ResolveReport>;
  (event?: ApplyEvent, context?: Context): Promise<MigrationReport>;
  (event: unknown, context?: Context): Promise<MigrationReport | ResolveReport>;
}

export function createMigrateHandler(options: MigrateHandlerOptions = {}): MigrateHandler {
  const logger = options.logger ?? createLogger();
  const handle = async (
    event: unknown,
    context?: Context,
  ): Promise<MigrationReport | ResolveReport> => {
    if (context) logger.addContext(context);
    try {
      const request = parseMigrateEvent(event);
      const target = readTarget(options.env ?? process.env);
      if (request.kind === "resolve") {
        const report = await resolveRolledBack({
          target,
          secrets: options.secrets ?? secretsManagerStore(),
          ssl: options.ssl ?? rdsTls(),
          rolledBack: request.rolledBack,
          wasm: options.wasm,
          authRetryDelayMs: options.authRetryDelayMs,
        });
        logger.info("failed migration marked rolled back", { ...report });
        return report;
      }
      const migrations = await loadMigrationsFromDir(
        options.migrationsDir ?? join(__dirname, "migrations"),
      );
      const report = await runMigrations({
        target,
        secrets: options.secrets ?? secretsManagerStore(),
        migrations,
        ssl: options.ssl ?? rdsTls(),
        expectedChecksum: request.checksum,
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
  return handle as MigrateHandler;
}

export const handler = createMigrateHandler();
