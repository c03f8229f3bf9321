/** What every route receives besides the request. */
import { type Principal, UnauthorizedError } from "../lib/auth";
import type { Logger } from "../lib/logger";
import type { Database } from "../lib/prisma";

export interface RouteContext {
  db: Database;
  logger: Logger;
  /** The verified caller; absent only on public routes. */
  principal?: Principal;
}

/**
 * The creator the caller acts for: from the verified token, never from the path (the handler
 * has already checked that the path names the same creator).
 */
export function creatorOf(context: RouteContext): number {
  if (!context.principal) throw new UnauthorizedError("route reached without a principal");
  return context.principal.creatorId;
}
