/**
 * Input validation: every value a route uses passes through here first, and a bad one becomes
 * a 400 whose message names the field and what is expected.
 */
import * as z from "zod/mini";
import { PayloadTooLargeError, ValidationError } from "./errors";
import type { ApiRequest } from "./http";

/** PostgreSQL `integer` ids: 1 … 2 147 483 647. */
export const MAX_ID = 2_147_483_647;

/** Request bodies above this are refused with 413 before parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A positive `integer` id, as JSON number. */
export const idSchema = z
  .int({ error: "must be a positive integer id" })
  .check(
    z.minimum(1, { error: "must be a positive integer id" }),
    z.maximum(MAX_ID, { error: `must be at most ${MAX_ID}` }),
  );

/** Parses a path or query id (`"42"`), rejecting signs, decimals, exponents and overflow. */
export function parseId(value: string | undefined, field: string): number {
  if (value === undefined || !/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > MAX_ID) {
    throw new ValidationError(`${field} must be a positive integer id (1 to ${MAX_ID}).`, field);
  }
  return Number(value);
}

export interface LimitOptions {
  /** @default 20 */
  defaultValue?: number;
  /** @default 200 */
  max?: number;
}

/** `?limit=`: an integer page size within bounds. */
export function parseLimit(value: string | undefined, options: LimitOptions = {}): number {
  const { defaultValue = 20, max = 200 } = options;
  if (value === undefined || value === "") return defaultValue;
  if (!/^[0-9]{1,4}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new ValidationError(`limit must be an integer between 1 and ${max}.`, "limit");
  }
  return Number(value);
}

/**
 * Years PostgreSQL and JSON both handle: `date`/`timestamptz` refuse year 0000 (there is no
 * year 0; ISO 0000 is 1 BC, written "0001 BC" by PostgreSQL), and JavaScript writes years
 * above 9999 as "+010000", which PostgreSQL does not parse.
 */
export const MIN_YEAR = 1;
export const MAX_YEAR = 9999;
const YEAR_RULE = `a year between ${String(MIN_YEAR).padStart(4, "0")} and ${MAX_YEAR}`;

/** `YYYY-MM-DD` (a real calendar day PostgreSQL can store) → a UTC midnight Date. */
export function parseDay(value: string, field: string): Date {
  if (!z.iso.date().safeParse(value).success) {
    throw new ValidationError(`${field} must be a date written YYYY-MM-DD.`, field);
  }
  if (Number(value.slice(0, 4)) < MIN_YEAR) {
    throw new ValidationError(`${field} must be a date with ${YEAR_RULE}.`, field);
  }
  return new Date(`${value}T00:00:00.000Z`);
}

/** An ISO 8601 UTC date-time PostgreSQL can store (year 0001-9999). */
export const postgresDateTime = () =>
  z.iso.datetime({ error: "must be an ISO 8601 date-time" }).check(
    z.refine((value) => Number(value.slice(0, 4)) >= MIN_YEAR, {
      error: `must be a date-time with ${YEAR_RULE}`,
    }),
  );

/**
 * A string PostgreSQL `text` accepts: no NUL character (SQLSTATE 22021 otherwise) and no
 * unpaired UTF-16 surrogate (it would be stored as U+FFFD, not as sent).
 */
export const postgresText = () =>
  z.string({ error: "must be a string" }).check(
    z.refine((value) => !value.includes("\u0000"), {
      error: "must not contain NUL characters (\\u0000)",
    }),
    z.refine((value) => !/\p{Surrogate}/u.test(value), {
      error: "must not contain unpaired surrogate characters",
    }),
  );

/** Rejects query parameters a route does not know, so a typo (`?limt=`) is not silently ignored. */
export function assertQueryParams(request: ApiRequest, allowed: readonly string[]): void {
  for (const key of Object.keys(request.query)) {
    if (!allowed.includes(key)) {
      const known = allowed.length > 0 ? `allowed: ${allowed.join(", ")}` : "this route takes none";
      throw new ValidationError(`Unknown query parameter "${truncate(key)}" (${known}).`, key);
    }
  }
}

/** Parses the JSON body against `schema`: 413 when too large, 400 when malformed or invalid. */
export function parseJsonBody<T>(request: ApiRequest, schema: z.ZodMiniType<T>): T {
  const raw = request.body;
  if (raw === null || raw.trim() === "") {
    throw new ValidationError("The request body must be a JSON object.", "body");
  }
  if (Buffer.byteLength(raw, "utf8") > MAX_BODY_BYTES)
    throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const type = request.headers["content-type"];
  if (type !== undefined && !/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    throw new ValidationError("content-type must be application/json.", "content-type");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ValidationError("The request body is not valid JSON.", "body");
  }
  return parseWith(schema, parsed, "body");
}

/** Validates `value` with `schema`; the first issue becomes the 400 message. */
export function parseWith<T>(schema: z.ZodMiniType<T>, value: unknown, root: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = fieldName(root, issue.path);
  if (issue.code === "unrecognized_keys") {
    const key = truncate(String(issue.keys[0]));
    throw new ValidationError(
      `${field === root ? root : field} has an unknown field "${key}".`,
      `${field}.${key}`,
    );
  }
  throw new ValidationError(`${field} ${readable(issue)}.`, field);
}

function fieldName(root: string, path: PropertyKey[]): string {
  let name = root;
  for (const part of path) name += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  return name;
}

function readable(issue: z.core.$ZodIssue): string {
  // Custom messages in our schemas are already phrased "must …"; zod's defaults are not.
  if (/^must /.test(issue.message)) return issue.message;
  if (issue.code === "invalid_type")
    return `must be ${issue.expected === "object" ? "an object" : `a ${issue.expected}`}`;
  return `is invalid: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}`;
}

/** Echo at most a short prefix of caller-supplied text in messages. */
function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
