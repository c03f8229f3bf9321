/**
 * Opaque pagination cursors: base64url JSON of the last row's sort key.
 *
 * Keyset pagination (`WHERE (sent_at, id) < (…)`), not Prisma's `cursor:` option: Prisma's
 * cursor adds sub-selects and an OFFSET, and it disables the single-statement relation join
 * the fans route relies on. Clients treat cursors as opaque strings.
 */
import type * as z from "zod/mini";
import { ValidationError } from "./errors";
import { parseWith } from "./validation";

export function encodeCursor(key: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

/** Decodes `?cursor=` against the route's key schema; any tampering is a 400 on `cursor`. */
export function decodeCursor<T>(
  value: string | undefined,
  schema: z.ZodMiniType<T>,
): T | undefined {
  if (value === undefined || value === "") return undefined;
  if (value.length > 200 || !/^[A-Za-z0-9_-]+$/.test(value)) {
    throw new ValidationError(
      "cursor is not a cursor returned by this API (use nextCursor as given).",
      "cursor",
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    throw new ValidationError(
      "cursor is not a cursor returned by this API (use nextCursor as given).",
      "cursor",
    );
  }
  try {
    return parseWith(schema, parsed, "cursor");
  } catch {
    throw new ValidationError(
      "cursor is not a cursor returned by this API (use nextCursor as given).",
      "cursor",
    );
  }
}
