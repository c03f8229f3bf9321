/**
 * Structured JSON logs (Powertools Logger), one instance per runtime.
 *
 * Level, highest precedence first:
 * 1. `AWS_LAMBDA_LOG_LEVEL` — set by Lambda from the function's `loggingConfig`
 *    (`applicationLogLevel`: ERROR in prod, INFO in staging, set by the infra). Powertools
 *    honours it over everything else, and Lambda drops lower-level lines anyway.
 * 2. `POWERTOOLS_LOG_LEVEL` / `LOG_LEVEL`.
 * 3. The stage default: ERROR in prod (errors only), INFO elsewhere.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import type { Stage } from "./env";

export type { Logger } from "@aws-lambda-powertools/logger";

export type LogLevel = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "CRITICAL" | "SILENT";

export interface LoggerOptions {
  /** @default process.env.STAGE, else "local" */
  stage?: Stage;
  /** @default "huntaze-api" (or POWERTOOLS_SERVICE_NAME) */
  serviceName?: string;
  /** Overrides the env/stage default (tests use SILENT); AWS_LAMBDA_LOG_LEVEL still wins. */
  level?: LogLevel;
}

/** The level the logger starts with when Lambda's own log-level control is not set. */
export function defaultLogLevel(stage: Stage, env: NodeJS.ProcessEnv = process.env): LogLevel {
  const fromEnv = (env.POWERTOOLS_LOG_LEVEL ?? env.LOG_LEVEL)?.trim().toUpperCase();
  if (fromEnv) return fromEnv as LogLevel;
  return stage === "prod" ? "ERROR" : "INFO";
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stage = options.stage ?? ((process.env.STAGE?.trim() || "local") as Stage);
  return new Logger({
    serviceName: options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? "huntaze-api",
    logLevel: options.level ?? defaultLogLevel(stage),
    environment: stage,
  });
}

/** The runtime's logger. */
export const logger = createLogger();
