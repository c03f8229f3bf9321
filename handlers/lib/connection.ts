/**
 * How the functions reach PostgreSQL: `@prisma/adapter-pg` over a node-postgres pool sized for
 * Lambda, with credentials from `DB_SECRET_ARN` (rotation-aware) or, locally, `DATABASE_URL`.
 * The host in the secret is the instance, or the RDS Proxy endpoint when the stack sets
 * `database.pooler: rds-proxy` (same protocol, same credentials).
 *
 * Prisma Accelerate was retired on December 1, 2026: `ACCELERATE_*` variables are refused
 * (env.ts), never silently ignored.
 */
import { existsSync, readFileSync } from "node:fs";
import pg, { type ClientConfig, type Pool, type PoolConfig } from "pg";
import type { DbCredentials } from "./credentials";
import { ConfigError, type RuntimeEnv } from "./env";
import { LOCK_TIMEOUT_MS, STATEMENT_TIMEOUT_MS } from "./timeouts";
import { trackedClientClass } from "./tracked-client";

/** The one connection mode left (reported by GET /health). */
export type ConnectionMode = "adapter-pg";

/** The connection mode the environment selects (no I/O); throws when no database is set. */
export function connectionMode(env: RuntimeEnv): ConnectionMode {
  if (env.dbSecretArn || env.databaseUrl) return "adapter-pg";
  throw new ConfigError(
    "No database configured: set DB_SECRET_ARN (deployed functions) or DATABASE_URL (local runs and tests).",
  );
}

export interface PoolSettings {
  /**
   * Connections per runtime. A Lambda runtime serves one request at a time, so one connection
   * (two at most) keeps `max_connections` ≥ concurrency × max.
   * @default 1
   */
  max?: number;
  /**
   * Give up on a new connection after this long (node-postgres's default is to wait forever).
   * With `queryTimeoutMs`, one attempt stays under the API function's 10 s timeout.
   * @default 3000
   */
  connectionTimeoutMillis?: number;
  /** Close a connection idle this long. @default 60000 */
  idleTimeoutMillis?: number;
  /**
   * Server-side `statement_timeout`, so a runaway query cannot hold the function; below the
   * API function's 10 s timeout so the request still gets its 503.
   * @default 4000
   */
  statementTimeoutMs?: number;
  /** Server-side `lock_timeout`: a row lock held elsewhere fails fast (503) instead of waiting. @default 2000 */
  lockTimeoutMs?: number;
  /**
   * Client-side limit on one query's reply; the socket is destroyed when it passes, so a frozen
   * or unreachable server answers 503 before the function times out (tracked-client.ts).
   * Above `statementTimeoutMs`, so a slow query fails on the server first. 0 disables it.
   * @default 5000
   */
  queryTimeoutMs?: number;
  /** Called with errors of idle connections (e.g. the server restarted). */
  onError?: (err: Error) => void;
}

/** Where RDS's CA chain lives on Lambda's Node.js 20+ runtimes (not loaded by default there). */
export const LAMBDA_CA_BUNDLE = "/var/runtime/ca-cert.pem";

function basePoolConfig(settings: PoolSettings): PoolConfig {
  return {
    max: settings.max ?? 1,
    connectionTimeoutMillis: settings.connectionTimeoutMillis ?? 3000,
    idleTimeoutMillis: settings.idleTimeoutMillis ?? 60_000,
    statement_timeout: settings.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS,
    lock_timeout: settings.lockTimeoutMs ?? LOCK_TIMEOUT_MS,
    application_name: "huntaze-api",
  };
}

/**
 * TLS for RDS Proxy (`requireTls`): the proxy presents an ACM certificate chained to Amazon's
 * public roots, which Node.js trusts by default; RDS's own CA bundle would not verify it.
 */
export const PROXY_TLS: ClientConfig["ssl"] = { rejectUnauthorized: true };

/**
 * TLS for RDS (`rds.force_ssl = 1`): verify the server certificate against RDS's CAs. On Lambda
 * those are in /var/runtime/ca-cert.pem, which Node.js 20+ runtimes do not load unless
 * NODE_EXTRA_CA_CERTS points at it; read it here so the function does not depend on that.
 */
export function rdsTls(caFile = LAMBDA_CA_BUNDLE): ClientConfig["ssl"] {
  if (process.env.NODE_EXTRA_CA_CERTS || !existsSync(caFile)) return { rejectUnauthorized: true };
  return { rejectUnauthorized: true, ca: readFileSync(caFile, "utf8") };
}

/**
 * A pool whose every new connection uses the credentials of the moment: host, port, database
 * and username from the last secret read, password from the `password` callback. With
 * `proxyHost`, connections go to RDS Proxy instead (same port, database and credentials).
 * `credentials.load()` must have completed once before the first query.
 */
export function createSecretPool(
  credentials: DbCredentials,
  settings: PoolSettings = {},
  ssl: ClientConfig["ssl"] = rdsTls(),
  proxyHost?: string,
): Pool {
  class RotatingClient extends trackedClientClass(settings.queryTimeoutMs ?? 5000) {
    constructor(config: ClientConfig) {
      const secret = credentials.current;
      const username = secret.username;
      super({
        ...config,
        host: proxyHost ?? secret.host,
        port: secret.port,
        database: secret.dbname,
        user: username,
        password: async () => {
          try {
            return await credentials.passwordFor(username);
          } catch (err) {
            // node-postgres would leave the half-authenticated socket open, holding a server
            // backend until authentication_timeout (60 s): close it.
            (
              this as unknown as { connection?: { stream?: { destroy(): void } } }
            )?.connection?.stream?.destroy();
            throw err;
          }
        },
        ssl,
      });
    }
  }
  return withErrorListener(
    new pg.Pool({
      ...basePoolConfig(settings),
      // RDS Proxy refuses `statement_timeout` and `lock_timeout` as startup parameters: through
      // it, the limits are the role's own (set by the migration function, timeouts.ts), so the
      // session needs no SET either.
      // the role's own (set by the migration function), so the session needs no SET either.
      ...(proxyHost ? { statement_timeout: undefined, lock_timeout: undefined } : {}),
      Client: RotatingClient as unknown as typeof pg.Client,
    }),
    settings,
  );
}

/** A pool on a fixed URL (local runs and tests). */
export function createUrlPool(connectionString: string, settings: PoolSettings = {}): Pool {
  return withErrorListener(
    new pg.Pool({
      ...basePoolConfig(settings),
      connectionString,
      Client: trackedClientClass(settings.queryTimeoutMs ?? 5000),
    }),
    settings,
  );
}

/**
 * An idle connection the server closes (restart, failover, `pg_terminate_backend`) makes the
 * pool emit "error"; unhandled, that would crash the runtime. The pool replaces it on demand.
 */
function withErrorListener(pool: Pool, settings: PoolSettings): Pool {
  pool.on("error", (err) => settings.onError?.(err));
  return pool;
}
