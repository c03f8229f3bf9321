/**
 * Idempotency keys of the POST routes that create data (purchases, campaigns).
 *
 * Rules (docs/API.md "Idempotency"): the client sends a fresh key per intended write, as the
 * `Idempotency-Key` header (or `idempotencyKey` in the body; both must then agree), 8-128
 * characters of letters, digits, `_ . : -` (a UUID fits). The key is stored with the row in the
 * write's own transaction and is unique per creator, so:
 * - the same key with the same request returns the original result (200, `"replayed": true`)
 *   and writes nothing — also when the first attempt's COMMIT reply was lost;
 * - the same key with a different request is a 409;
 * - after a 503 (`DATABASE_UNAVAILABLE` or `OUTCOME_UNKNOWN`) the client retries with the
 *   *same* key; keys do not expire.
 */
import { createHash } from "node:crypto";
import { ValidationError } from "./errors";

export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;
export const IDEMPOTENCY_KEY_RULE = "must be 8-128 characters of letters, digits, _ . : or -";

/** The request's key from the header and/or body field; 400 naming the field when missing or bad. */
export function idempotencyKey(header: string | undefined, body: string | undefined): string {
  if (header !== undefined && !IDEMPOTENCY_KEY.test(header)) {
    throw new ValidationError(
      `The Idempotency-Key header ${IDEMPOTENCY_KEY_RULE}.`,
      "idempotency-key",
    );
  }
  if (header !== undefined && body !== undefined && header !== body) {
    throw new ValidationError(
      "body.idempotencyKey and the Idempotency-Key header differ.",
      "body.idempotencyKey",
    );
  }
  const key = header ?? body;
  if (key === undefined) {
    throw new ValidationError(
      "An idempotency key is required: send an Idempotency-Key header (or body.idempotencyKey), unique per request that creates data.",
      "idempotency-key",
    );
  }
  return key;
}

/** A stable fingerprint of a request's meaningful fields (hex SHA-256 of their JSON). */
export function requestHash(fields: unknown): string {
  return createHash("sha256").update(JSON.stringify(fields)).digest("hex");
}
