/**
 * GET /health — one database round-trip with a short timeout. 200 with the latency and the
 * connection mode, or 503 (load balancers and the deploy check read the status code). Also
 * answers HEAD; unknown query parameters are ignored.
 */
import { errorBody } from "../lib/http";
import type { Route } from "../lib/router";
import type { RouteContext } from "./context";

/** Long enough for a cold connection (TLS + auth), short enough to fail fast. */
export const HEALTH_TIMEOUT_MS = 2000;

export const health: Route<RouteContext> = {
  method: "GET",
  path: "/health",
  // Load balancers and the deploy verification call it without credentials; it shows no tenant data.
  public: true,
  async handler(request, { db, logger }) {
    // No assertQueryParams: health checkers add cache-busting parameters (`?t=…`).
    try {
      const latencyMs = await db.ping(HEALTH_TIMEOUT_MS);
      return {
        status: 200,
        body: { status: "ok", connectionMode: db.mode, database: { reachable: true, latencyMs } },
      };
    } catch (err) {
      logger.error("health check: database unreachable", { error: err as Error });
      return {
        status: 503,
        headers: { "retry-after": "1" },
        body: {
          status: "unavailable",
          connectionMode: db.mode,
          database: { reachable: false },
          ...errorBody(
            "DATABASE_UNAVAILABLE",
            "The database is unavailable; retry shortly.",
            request.requestId,
          ),
        },
      };
    }
  },
};
