/**
 * The Prisma client of a runtime, built once and reused across invocations.
 *
 * `Database` owns the client, its pool and its credentials: it picks the connection mode
 * (connection.ts), builds the client lazily on first use (so a cold start that never touches
 * the database never pays for it), retries an operation once after an authentication failure
 * with freshly fetched credentials, and disconnects on shutdown. Tests and the dev server build
 * their own `Database` with injected settings; the Lambda entry points share `getDatabase()`.
 */
import { setImmediate } from "node:timers/promises";
import { PrismaPg } from "@prisma/adapter-pg";
import type { Pool } from "pg";
import { PrismaClient } from "../generated/prisma/client";
import {
  type ConnectionMode,
  connectionMode,
  createSecretPool,
  createUrlPool,
  type PoolSettings,
  PROXY_TLS,
} from "./connection";
import { DbCredentials } from "./credentials";
import { classifyDatabaseFailure } from "./db-failures";
import { type RuntimeEnv, readEnv } from "./env";
import { logger as defaultLogger, type Logger } from "./logger";
import { recordConnectionRetry } from "./metrics";
import { QueryStats } from "./query-stats";
import { queryTiming } from "./query-timing";
import { type SecretSource, secretsManagerSource } from "./secrets";
import { tracer as defaultTracer, type Tracer } from "./tracer";

function buildClient(base: PrismaClient<"query">, timing: ReturnType<typeof queryTiming>) {
  return base.$extends(timing);
}

/** The client routes use: Prisma over @prisma/adapter-pg, with query timing. */
export type AppPrisma = ReturnType<typeof buildClient>;

export interface DatabaseOptions {
  /** @default readEnv(process.env) */
  env?: RuntimeEnv;
  /** Where DB_SECRET_ARN is read. @default Secrets Manager */
  secretSource?: SecretSource;
  /** @default { max: 1, connectionTimeoutMillis: 5000, … } (see PoolSettings) */
  pool?: PoolSettings;
  /** TLS for secret-based connections. @default verify against RDS's CA (connection.ts rdsTls) */
  ssl?: import("pg").ClientConfig["ssl"];
  /** @default the runtime's logger */
  logger?: Logger;
  /** @default the runtime's tracer */
  tracer?: Tracer;
}

export interface RunOptions {
  /**
   * `fn` starts by looking up its idempotency key (and returns the stored result when found),
   * so running it again after a COMMIT whose reply was lost can never write twice.
   * @default false
   */
  resolvesAmbiguity?: boolean;
}

interface Built {
  prisma: AppPrisma;
  base: PrismaClient<"query">;
  pool: Pool;
}

export class Database {
  readonly mode: ConnectionMode;
  readonly stats = new QueryStats();
  readonly #env: RuntimeEnv;
  readonly #options: DatabaseOptions;
  readonly #logger: Logger;
  readonly #credentials: DbCredentials | undefined;
  #built: Promise<Built> | undefined;

  constructor(options: DatabaseOptions = {}) {
    this.#options = options;
    this.#env = options.env ?? readEnv();
    this.#logger = options.logger ?? defaultLogger;
    this.mode = connectionMode(this.#env);
    if (this.#env.dbSecretArn) {
      this.#credentials = new DbCredentials(this.#secretSource(), this.#env.dbSecretArn);
    }
  }

  /** The rotation-aware credentials, when the connection comes from DB_SECRET_ARN. */
  get credentials(): DbCredentials | undefined {
    return this.#credentials;
  }

  /** The client, built on first call (secret read, pool and client created). */
  client(): Promise<AppPrisma> {
    this.#built ??= this.#build().catch((err: unknown) => {
      this.#built = undefined; // let the next request try again
      throw err;
    });
    return this.#built.then((b) => b.prisma);
  }

  /**
   * Runs `fn` with the client, running it again once when the failure was the connection's,
   * not the request's (db-failures.ts decides which):
   * - the database refused a new connection's credentials (28P01): the secret is refetched
   *   past every cache first (one read for all concurrent failures, see credentials.ts) — a
   *   rotation then costs one extra round-trip, not a failed request;
   * - the connection failed before anything could have been committed (the statement never
   *   reached the server, or its transaction was still open and the server rolled it back when
   *   the session ended): the pool opens a new connection.
   *
   * A connection lost after COMMIT was sent and before its reply is *ambiguous*: the write may
   * be durable. `fn` is then run again only if it declares `resolvesAmbiguity` — it looks up
   * its idempotency key first and returns the stored result instead of writing twice;
   * otherwise the error propagates and the caller answers 503 (retry with the same key).
   */
  async run<T>(fn: (prisma: AppPrisma) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const prisma = await this.client();
    // Each kind of recovery at most once: a dead pooled connection can be followed by a refused
    // new one when both come from the same rotation.
    let refreshed = false;
    let reconnected = false;
    for (;;) {
      const generation = this.#credentials?.generation;
      try {
        return await fn(prisma);
      } catch (err) {
        const failure = classifyDatabaseFailure(err);
        if (!refreshed && this.#credentials && failure.kind === "auth") {
          refreshed = true;
          this.#logger.warn(
            "database refused the credentials; refetching the secret and retrying",
            { secretId: this.#credentials.secretId },
          );
          recordConnectionRetry("credentials-refused");
          await this.#credentials.refresh(generation);
          continue;
        }
        const retryable =
          failure.kind === "before-commit" ||
          (failure.kind === "ambiguous" && options.resolvesAmbiguity === true);
        if (!reconnected && retryable && !failure.timedOut) {
          reconnected = true;
          this.#logger.warn("database connection lost; retrying on a new connection", {
            reason: failure.reason,
            outcome: failure.kind,
          });
          recordConnectionRetry("connection-lost");
          continue;
        }
        throw err;
      }
    }
  }

  /** One round-trip (`SELECT 1`); rejects after `timeoutMs`. Returns the latency in ms. */
  async ping(timeoutMs: number): Promise<number> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PingTimeoutError(timeoutMs)), timeoutMs);
    });
    try {
      await Promise.race([this.run((prisma) => prisma.$queryRaw`SELECT 1`), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return Math.round((performance.now() - started) * 100) / 100;
  }

  /** Closes the client and its pool (graceful shutdown, tests). Safe to call twice. */
  async disconnect(): Promise<void> {
    const built = this.#built;
    this.#built = undefined;
    if (!built) return;
    const b = await built.catch(() => undefined);
    if (!b) return;
    await b.base.$disconnect().catch(() => undefined);
    await b.pool.end().catch(() => undefined);
  }

  #secretSource(): SecretSource {
    return this.#options.secretSource ?? secretsManagerSource();
  }

  async #build(): Promise<Built> {
    const log = [{ emit: "event", level: "query" } as const];
    const timing = queryTiming({
      logger: this.#logger,
      tracer: this.#options.tracer ?? defaultTracer,
      slowQueryMs: this.#env.slowQueryMs,
      onOperation: (t) => this.stats.recordOperation(t.durationMs),
    });
    const settings: PoolSettings = {
      ...this.#options.pool,
      onError: (err) =>
        this.#logger.warn("idle database connection closed", { error: err.message }),
    };
    // The pool creates its clients on demand: with a secret, the first one reads the credentials
    // `load()` below fetches, so building the pool first costs no database or network time.
    const credentials = this.#credentials;
    let pool: Pool;
    if (credentials) {
      const proxyHost = this.#env.dbProxyHost;
      const ssl = this.#options.ssl ?? (proxyHost ? PROXY_TLS : undefined);
      pool = createSecretPool(credentials, settings, ssl, proxyHost);
    } else {
      pool = createUrlPool(this.#env.databaseUrl as string, settings);
    }
    const base = new PrismaClient({ adapter: new PrismaPg(pool), log });
    base.$on("query", (event) => this.stats.recordStatement(event.query, event.params));
    // A cold start waits on two things that need different resources: Prisma's engine start
    // (reading and instantiating the query compiler: tens of ms of this thread's CPU) and the
    // first connection (a secret read over HTTPS, then TCP, TLS and SCRAM round-trips: mostly
    // waiting on the network, the server and the thread pool). Both start here, so the waits
    // overlap the engine's CPU time instead of following it.
    const loaded = credentials ? credentials.load() : Promise.resolve(undefined);
    // The first connection, released at once so that the first query finds it idle in the
    // pool (max 1: the query waits for it, it never opens a second one). Its failure is not
    // this build's: the first query then connects again itself and `run()` classifies what
    // it gets (a refused password, a dead server) as for any other query.
    const opened = loaded
      .then(() => pool.connect())
      .then(
        (client) => client.release(),
        () => undefined,
      );
    // One turn of the event loop before the engine's synchronous work (~50 ms of this thread on a
    // cold start), so that the connection's first steps (TCP connect, startup message; with a
    // secret, sending its request) are under way and the server's side of them runs meanwhile:
    // nothing else yields to the event loop until the first query waits for its connection.
    await setImmediate();
    // Starting the engine now (instead of on the first query) also keeps it out of the first
    // operation's timing — slow-query log, SlowQueries metric — which then measures the query.
    const started = base.$connect();
    try {
      await Promise.all([loaded, started]);
    } catch (err) {
      // Both settle before the pool ends: no connection attempt outlives a failed build.
      await Promise.allSettled([started, opened]);
      await base.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
      throw err;
    }
    return { prisma: buildClient(base, timing), base, pool };
  }
}

export class PingTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`The database did not answer within ${timeoutMs} ms.`);
    this.name = "PingTimeoutError";
  }
}

let shared: Database | undefined;

/**
 * The runtime's database (module scope: reused by every invocation of this runtime). `pool`
 * applies when the first call creates it (the worker's longer timeouts).
 */
export function getDatabase(pool?: PoolSettings): Database {
  shared ??= new Database(pool ? { pool } : {});
  return shared;
}
