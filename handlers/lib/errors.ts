/**
 * Domain errors and their HTTP mapping — the one place that decides what a client sees.
 *
 * A client only ever gets `{ "error": { "code", "message", "requestId" } }` with a fixed,
 * human message: never a stack, a SQL fragment, a constraint or table name, or a value.
 * What a database failure means is decided in db-failures.ts; this file only maps it.
 */
import { classifyDatabaseFailure } from "./db-failures";

export { prismaCode } from "./db-failures";

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

/** Seconds a client should wait before retrying a 503 (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 1;

/** The database cannot be reached, timed out, is overloaded, or refused our credentials. */
export class DatabaseUnavailableError extends HttpError {
  constructor(options?: ErrorOptions) {
    super(503, "DATABASE_UNAVAILABLE", "The database is unavailable; retry shortly.", {
      ...options,
      headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
    });
    this.name = "DatabaseUnavailableError";
  }
}

/**
 * The connection was lost after COMMIT was sent and before its reply: the write may or may
 * not have happened. Retrying with the same Idempotency-Key returns the original result if it
 * did, and performs it once if it did not.
 */
export class OutcomeUnknownError extends HttpError {
  constructor(options?: ErrorOptions) {
    super(
      503,
      "OUTCOME_UNKNOWN",
      "The database connection was lost while saving; retry with the same Idempotency-Key.",
      { ...options, headers: { "retry-after": String(RETRY_AFTER_SECONDS) } },
    );
    this.name = "OutcomeUnknownError";
  }
}

/** A new connection was refused because its credentials are wrong (SQLSTATE 28P01 / P1000). */
export function isAuthenticationFailure(err: unknown): boolean {
  return classifyDatabaseFailure(err).kind === "auth";
}

/** Maps anything thrown by a route to what the caller may see. Unknown errors become 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  switch (classifyDatabaseFailure(err).kind) {
    case "ambiguous":
      return new OutcomeUnknownError({ cause: err });
    case "before-commit":
    case "auth":
    case "unavailable":
      return new DatabaseUnavailableError({ cause: err });
    case "not-found":
      return new NotFoundError();
    case "unique":
      return new ConflictError("A resource with the same unique value already exists.");
    case "foreign-key":
      return new ConflictError("The request refers to a resource that does not exist.");
    case "invalid-input":
      return new ValidationError("A value in the request is not valid for this resource.");
    default:
      return new HttpError(500, "INTERNAL", "An internal error occurred.", { cause: err });
  }
}
