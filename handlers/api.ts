/**
 * Entry point of the API function (`huntaze-api-<stack>-api`): REST API proxy events.
 * Bundled by the infra with esbuild into one CommonJS file exporting `handler`.
 *
 * Module scope runs once per runtime: logger, tracer and the route table are built here; the
 * database (secret read, pool, Prisma client) on the first request that needs it.
 */
import { authenticatorFromEnv } from "./lib/auth-env";
import { createApiHandler } from "./lib/http-handler";
import { logger } from "./lib/logger";
import { getDatabase } from "./lib/prisma";
import { onShutdown } from "./lib/shutdown";
import { tracer } from "./lib/tracer";
import { routes } from "./routes";

export const handler = createApiHandler({
  routes,
  database: () => {
    const database = getDatabase();
    onShutdown(() => database.disconnect(), logger);
    return database;
  },
  logger,
  tracer,
  authenticator: authenticatorFromEnv(),
});
