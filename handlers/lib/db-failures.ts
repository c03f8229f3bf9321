/**
 * The one place that decides what a database failure means, from the shapes that really
 * arrive (seen under the fault proxy in test/support/fault-proxy.ts):
 *
 * - a plain `Error` from node-postgres — "Connection terminated unexpectedly" (socket closed
 *   under a query), "Client has encountered a connection error and is not queryable" (a dead
 *   client reused), "timeout exceeded when trying to connect" (pool) — thrown through
 *   `@prisma/adapter-pg` and Prisma unchanged;
 * - a bare `DriverAdapterError` whose `cause` is `{ kind, originalCode?, code? }`;
 * - a Prisma known error (`P…` code) carrying the adapter's cause in `meta.driverAdapterError`;
 * - Prisma initialization / unknown errors; our own `SecretError`.
 *
 * The answer is one of:
 * - `before-commit` — the connection failed and nothing could have been committed: safe to run
 *   the operation again once, on a new connection;
 * - `ambiguous` — the connection failed while a COMMIT (or a write outside a transaction)
 *   awaited its reply: it may have committed. Only an operation that resolves through its
 *   idempotency key may run again; otherwise the caller gets 503 and retries with the key;
 * - `auth` — the server refused the credentials (refresh the secret, retry once);
 * - `unavailable` — the database is there but cannot serve now (timeouts, too many
 *   connections, shutdown, conflicts): 503 with Retry-After, not retried here;
 * - `invalid-input` — the server refused a value (SQLSTATE class 22): 400. Validation should
 *   have stopped it first; this is the safety net;
 * - `unique`, `foreign-key`, `not-found` — 409 / 409 / 404;
 * - `unknown` — a bug: 500.
 */
import { connectionFailureTag } from "./tracked-client";

export type FailureKind =
  | "before-commit"
  | "ambiguous"
  | "auth"
  | "unavailable"
  | "invalid-input"
  | "unique"
  | "foreign-key"
  | "not-found"
  | "unknown";

export interface DatabaseFailure {
  kind: FailureKind;
  /** SQLSTATE, when the server sent one. */
  sqlState?: string;
  /** Prisma error code (`P2002`…), when Prisma wrapped it. */
  prismaCode?: string;
  /** A short, safe reason for logs (never a value from the request). */
  reason: string;
  /**
   * The client-side query timeout fired: the server is frozen or far too slow. Not retried
   * (a second wait would outlast the function's timeout).
   */
  timedOut?: boolean;
}

interface AdapterCause {
  kind?: string;
  originalCode?: string;
  code?: string;
}

interface ErrorShape {
  name?: string;
  message?: string;
  code?: unknown;
  errorCode?: string;
  cause?: unknown;
  meta?: { driverAdapterError?: { cause?: AdapterCause } };
}

/** node-postgres messages of a connection that died or could not be used (no SQLSTATE). */
const CONNECTION_MESSAGES =
  /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|Connection terminated due to connection timeout|Query read timeout/;

/** Socket-level `code`s of Node.js (connect failed, reset). */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EPIPE"]);

/** Adapter `kind`s of a connection that failed (no statement could have run to completion). */
const CONNECTION_KINDS = new Set(["ConnectionClosed", "DatabaseNotReachable", "SocketTimeout"]);

/**
 * SQLSTATEs that mean "not now": query_canceled (statement timeout), lock_not_available (lock
 * timeout), too_many_connections, admin/crash shutdown, cannot_connect_now, serialization
 * failure and deadlock (retryable by the client), connection exceptions, out of memory/disk.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  "57014",
  "55P03",
  "53300",
  "53400",
  "53000",
  "53100",
  "53200",
  "57P01",
  "57P02",
  "57P03",
  "40001",
  "40P01",
  "25P03", // idle_in_transaction_session_timeout
]);
/** SQLSTATE classes of a session the server ended (the statement never committed). */
const SESSION_ENDED_SQLSTATES = new Set(["57P01", "57P02", "57P03"]);

/** Prisma codes of "the database is not there (now)". */
const UNAVAILABLE_PRISMA = new Set([
  "P1000", // authentication failed (after the refresh and retry)
  "P1001", // can't reach the server
  "P1002", // reached, timed out
  "P1003", // database does not exist
  "P1008", // operation timed out
  "P1017", // server closed the connection
  "P2024", // timed out fetching a connection from the pool
  "P2028", // transaction API error (its connection went away, or it timed out)
  "P2034", // write conflict / deadlock
  "P2037", // too many connections
]);

/** Prisma codes of a value the database refused. */
const INVALID_INPUT_PRISMA = new Set(["P2000", "P2006", "P2007", "P2011", "P2019", "P2020"]);

function shape(err: unknown): ErrorShape | undefined {
  return typeof err === "object" && err !== null ? (err as ErrorShape) : undefined;
}

/** The adapter's cause: from a Prisma error's meta, or a bare DriverAdapterError. */
function adapterCause(e: ErrorShape): AdapterCause | undefined {
  const fromMeta = e.meta?.driverAdapterError?.cause;
  if (fromMeta) return fromMeta;
  if (e.name === "DriverAdapterError" && typeof e.cause === "object" && e.cause !== null) {
    return e.cause as AdapterCause;
  }
  return undefined;
}

function sqlStateOf(e: ErrorShape, cause: AdapterCause | undefined): string | undefined {
  const candidates = [cause?.originalCode, cause?.code, typeof e.code === "string" ? e.code : ""];
  // A raw-query Prisma error puts it in the message only ("Code: `57014`").
  const inMessage = /Code: `([0-9A-Z]{5})`/.exec(e.message ?? "")?.[1];
  return [...candidates, inMessage].find((c) => c !== undefined && /^[0-9A-Z]{5}$/.test(c));
}

function prismaCodeOf(e: ErrorShape): string | undefined {
  if (typeof e.name !== "string" || !e.name.startsWith("PrismaClient")) return undefined;
  const code = typeof e.code === "string" ? e.code : e.errorCode;
  return code && /^P[0-9]{4}$/.test(code) ? code : undefined;
}

/** Classifies anything a database operation threw. */
export function classifyDatabaseFailure(err: unknown): DatabaseFailure {
  const e = shape(err);
  if (!e) return { kind: "unknown", reason: "non-object thrown" };
  if (e.name === "SecretError") return { kind: "unavailable", reason: "secret unreadable" };

  // A tracked connection died under the operation: its tag knows what was in flight.
  const tag = connectionFailureTag(err) ?? connectionFailureTag(e.cause);
  if (tag) {
    const reason = tag.timedOut ? "query timed out" : "connection lost";
    return {
      kind: tag.outcome === "unknown" ? "ambiguous" : "before-commit",
      reason,
      timedOut: tag.timedOut,
    };
  }

  const cause = adapterCause(e);
  const sqlState = sqlStateOf(e, cause);
  const prismaCode = prismaCodeOf(e);
  const base = { sqlState, prismaCode };

  if (sqlState === "28P01" || cause?.kind === "AuthenticationFailed" || prismaCode === "P1000") {
    return { ...base, kind: "auth", reason: "credentials refused" };
  }
  if (sqlState && SESSION_ENDED_SQLSTATES.has(sqlState)) {
    // The server ended the session (restart, failover, pg_terminate_backend) and with it any
    // open transaction. An untracked connection cannot say whether a COMMIT was in flight.
    return { ...base, kind: "before-commit", reason: `session ended (${sqlState})` };
  }
  if (sqlState && UNAVAILABLE_SQLSTATES.has(sqlState)) {
    return { ...base, kind: "unavailable", reason: `server refused for now (${sqlState})` };
  }
  if (cause?.kind === "TooManyConnections" || cause?.kind === "TransactionWriteConflict") {
    return { ...base, kind: "unavailable", reason: cause.kind };
  }
  if (
    (cause?.kind && CONNECTION_KINDS.has(cause.kind)) ||
    (typeof e.code === "string" && SOCKET_CODES.has(e.code)) ||
    (sqlState?.startsWith("08") ?? false)
  ) {
    return { ...base, kind: "before-commit", reason: "connection failed" };
  }
  if (CONNECTION_MESSAGES.test(e.message ?? "")) {
    // An untagged connection error (a pool not built by connection.ts): we cannot tell what
    // was in flight, so the safe reading is that it may have committed.
    return { ...base, kind: "ambiguous", reason: "connection lost (untracked)" };
  }
  if (sqlState === "23505" || prismaCode === "P2002") {
    return { ...base, kind: "unique", reason: "unique violation" };
  }
  if (sqlState === "23503" || prismaCode === "P2003") {
    return { ...base, kind: "foreign-key", reason: "foreign key violation" };
  }
  if (prismaCode === "P2025") return { ...base, kind: "not-found", reason: "record not found" };
  if (
    sqlState?.startsWith("22") ||
    sqlState === "23502" ||
    sqlState === "23514" ||
    (prismaCode && INVALID_INPUT_PRISMA.has(prismaCode))
  ) {
    return { ...base, kind: "invalid-input", reason: "value refused by the database" };
  }
  if (
    e.name === "PrismaClientInitializationError" ||
    (prismaCode && UNAVAILABLE_PRISMA.has(prismaCode))
  ) {
    return {
      ...base,
      kind: "unavailable",
      reason: `database unavailable (${prismaCode ?? e.name})`,
    };
  }
  return { ...base, kind: "unknown", reason: "unclassified" };
}

/** The Prisma error code (`P2025`…) of an error, if it is one. */
export function prismaCode(err: unknown): string | undefined {
  const e = shape(err);
  return e ? prismaCodeOf(e) : undefined;
}
