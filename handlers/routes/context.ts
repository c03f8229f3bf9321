/** What every route receives besides the request. */
import type { Logger } from "../lib/logger";
import type { Database } from "../lib/prisma";

export interface RouteContext {
  db: Database;
  logger: Logger;
}
