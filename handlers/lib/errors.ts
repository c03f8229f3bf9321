/**
 * Domain errors and their HTTP mapping — the one place that decides what a client sees.
 *
 * A client only ever gets `{ "error": { "code", "message", "requestId" } }` with a fixed,
 * human message: never a stack, a SQL fragment, a constraint or table name, or a value.
 */

/** An error whose status, code and message are safe to show to the caller as they are. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    options?: ErrorOptions & { headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = options?.headers ?? {};
  }
}

/** 400: the request is malformed; the message names the field and what is expected. */
export class ValidationError extends HttpError {
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(400, "VALIDATION_FAILED", message);
    this.name = "ValidationError";
    this.field = field;
  }
}

export class NotFoundError extends HttpError {
  constructor(message = "Not found.") {
    super(404, "NOT_FOUND", message);
    this.name = "NotFoundError";
  }
}

export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, "CONFLICT", message);
    this.name = "ConflictError";
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(limitBytes: number) {
    super(413, "PAYLOAD_TOO_LARGE", `The request body must be at most ${limitBytes} bytes.`);
    this.name = "PayloadTooLargeError";
  }
}

export class MethodNotAllowedError extends HttpError {
  constructor(allowed: string[]) {
    super(405, "METHOD_NOT_ALLOWED", `This route accepts ${allowed.join(", ")}.`, {
      headers: { allow: allowed.join(", ") },
    });
    this.name = "MethodNotAllowedError";
  }
}

/** The database cannot be reached or refused our credentials even after a refresh. */
export class DatabaseUnavailableError extends HttpError {
  constructor(options?: ErrorOptions) {
    super(503, "DATABASE_UNAVAILABLE", "The database is unavailable; retry shortly.", {
      ...options,
      headers: { "retry-after": "1" },
    });
    this.name = "DatabaseUnavailableError";
  }
}

/** Prisma codes that mean "the database is not there (now)", not "your request is wrong". */
const UNAVAILABLE_CODES = new Set([
  "P1000", // authentication failed (after the credential refresh and retry)
  "P1001", // can't reach the server
  "P1002", // server reached, timed out
  "P1003", // the database does not exist (dropped, or wrong name in the secret)
  "P1008", // operation timed out
  "P1017", // server closed the connection
  "P2024", // timed out fetching a connection from the pool
  "P2028", // transaction API error (e.g. the transaction's connection went away)
  "P2034", // write conflict / deadlock: retryable
]);

interface PrismaLikeError {
  name?: string;
  code?: string;
  errorCode?: string;
  meta?: { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } };
}

function asPrismaError(err: unknown): PrismaLikeError | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const name = (err as PrismaLikeError).name;
  return typeof name === "string" && name.startsWith("PrismaClient")
    ? (err as PrismaLikeError)
    : undefined;
}

/** The Prisma error code (`P2025`…) of an error, if it is one. */
export function prismaCode(err: unknown): string | undefined {
  const p = asPrismaError(err);
  return p?.code ?? p?.errorCode;
}

/** A new connection was refused because its credentials are wrong (SQLSTATE 28P01 / P1000). */
export function isAuthenticationFailure(err: unknown): boolean {
  const p = asPrismaError(err);
  if (!p) return (err as { code?: string } | undefined)?.code === "28P01";
  const cause = p.meta?.driverAdapterError?.cause;
  return (
    p.code === "P1000" || cause?.originalCode === "28P01" || cause?.kind === "AuthenticationFailed"
  );
}

/**
 * SQLSTATEs of a connection the server ended (restart, failover, pg_terminate_backend,
 * idle-session timeout): the statement never ran or its transaction was rolled back.
 */
const CONNECTION_LOST_SQLSTATES = new Set(["57P01", "57P02", "57P03", "08000", "08003", "08006"]);

/** The connection died under the operation (not: the server is unreachable). Safe to retry once. */
export function isConnectionLost(err: unknown): boolean {
  const p = asPrismaError(err);
  if (!p) return false;
  const cause = p.meta?.driverAdapterError?.cause;
  if (cause?.originalCode && CONNECTION_LOST_SQLSTATES.has(cause.originalCode)) return true;
  if (cause?.kind === "ConnectionClosed" || p.code === "P1017") return true;
  // node-postgres's own message when the socket closes mid-query (no SQLSTATE).
  return /Connection terminated unexpectedly/.test((err as Error).message ?? "");
}

/**
 * The server (or RDS Proxy in front of it) refused a new connection because it is at its limit:
 * SQLSTATE 53300 too_many_connections (also "remaining connection slots are reserved"), 53400
 * configuration_limit_exceeded, 08004 rejected establishment. Overload, not a bad request: the
 * caller should back off and retry, so it is never retried here.
 */
const OVERLOAD_SQLSTATES = new Set(["53300", "53400", "08004"]);

export function isDatabaseOverloaded(err: unknown): boolean {
  const p = asPrismaError(err);
  const cause = p?.meta?.driverAdapterError?.cause;
  if (cause)
    return cause.kind === "TooManyConnections" || OVERLOAD_SQLSTATES.has(cause.originalCode ?? "");
  return OVERLOAD_SQLSTATES.has((err as { code?: string } | undefined)?.code ?? "");
}

export function isDatabaseUnavailable(err: unknown): boolean {
  if (isDatabaseOverloaded(err)) return true;
  // The credentials could not be read (Secrets Manager throttled, down, or access denied):
  // the database is unusable for now; the cause is logged server-side.
  if ((err as { name?: string } | undefined)?.name === "SecretError") return true;
  if (isConnectionLost(err)) return true;
  const p = asPrismaError(err);
  if (!p) return false;
  if (p.name === "PrismaClientInitializationError") return true;
  const code = p.code ?? p.errorCode;
  return code !== undefined && UNAVAILABLE_CODES.has(code);
}

/** Maps anything thrown by a route to what the caller may see. Unknown errors become 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (isDatabaseUnavailable(err)) return new DatabaseUnavailableError({ cause: err });
  switch (prismaCode(err)) {
    case "P2025": // "an operation failed because it depends on one or more records that were required but not found"
      return new NotFoundError();
    case "P2002": // unique constraint
      return new ConflictError("A resource with the same unique value already exists.");
    case "P2003": // foreign key
      return new ConflictError("The request refers to a resource that does not exist.");
    case "P2000": // value too long for the column
    case "P2006": // invalid value
    case "P2007": // data validation
    case "P2011": // null constraint
      return new ValidationError("A value in the request is not valid for this resource.");
  }
  return new HttpError(500, "INTERNAL", "An internal error occurred.", { cause: err });
}
