/**
 * The Lambda wrapper of the API function: REST API proxy event in, proxy result out.
 *
 * Per invocation: `callbackWaitsForEmptyEventLoop = false` (the pool's idle socket must not
 * hold the response), Lambda context and request id on every log line, cold-start and service
 * annotations plus a subsegment per route in X-Ray, the route's errors mapped to HTTP in one
 * place (errors.ts) with the minimal body, and one access-log line with the status, the
 * duration and the SQL statements the request ran.
 *
 * Every request except a public route's (the health check) is authenticated before routing
 * errors are reported, like API Gateway's authorizer on `ANY /{proxy+}`: without a valid token
 * even an unknown path answers 401. Then `authorizeCreator` (auth.ts) checks the path's creator.
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import type { RouteContext } from "../routes/context";
import { type Authenticator, authorizeCreator, type Principal, UnauthorizedError } from "./auth";
import { toHttpError } from "./errors";
import { type ApiRequest, errorBody, toRequest, toResult } from "./http";
import type { Logger } from "./logger";
import type { Database } from "./prisma";
import { type MatchedRoute, type Route, Router } from "./router";
import { inSubsegment, type Tracer } from "./tracer";

export interface ApiHandlerOptions {
  routes: Route<RouteContext>[];
  /** The runtime's database, or a factory called on first use (keeps cold imports cheap). */
  database: Database | (() => Database);
  logger: Logger;
  tracer: Tracer;
  /** How callers are authenticated (auth.ts): Cognito authorizer claims, or a JWT verified here. */
  authenticator: Authenticator;
}

export type ApiHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

export function createApiHandler(options: ApiHandlerOptions): ApiHandler {
  const { logger, tracer } = options;
  const router = new Router(options.routes);
  let database: Database | undefined =
    typeof options.database === "function" ? undefined : options.database;
  const getDatabase = (): Database => {
    database ??= (options.database as () => Database)();
    return database;
  };

  // Like Powertools' captureLambdaHandler: Lambda's own segment is immutable, so annotations go
  // on a handler subsegment.
  return (event, context) =>
    inSubsegment(tracer, `## ${process.env._HANDLER ?? "handler"}`, () => handle(event, context));

  /** Authentication, routing and the creator check: the one authorization decision. */
  async function authorize(
    request: ApiRequest & { principal?: Principal },
    event: APIGatewayProxyEvent,
  ): Promise<MatchedRoute<RouteContext>> {
    let matched: MatchedRoute<RouteContext> | undefined;
    let routingError: unknown;
    try {
      matched = router.match(request.method, request.path);
    } catch (err) {
      routingError = err;
    }
    if (matched?.route.public) return matched;
    const principal = await options.authenticator(request, event);
    request.principal = principal;
    logger.appendKeys({ creatorId: principal.creatorId });
    if (!matched) throw routingError;
    authorizeCreator(matched.params, principal);
    return matched;
  }

  async function handle(
    event: APIGatewayProxyEvent,
    context: Context,
  ): Promise<APIGatewayProxyResult> {
    context.callbackWaitsForEmptyEventLoop = false;
    const started = performance.now();
    const requestId = context.awsRequestId || randomUUID();
    const request: ApiRequest & { principal?: Principal } = toRequest(event, requestId);
    logger.addContext(context);
    logger.appendKeys({
      apiRequestId: event.requestContext?.requestId,
      method: request.method,
      path: request.path,
    });
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();

    let routeName = "unmatched";
    let db: Database | undefined;
    const before = database?.stats.snapshot();
    let status = 500;
    try {
      const { route, params } = await authorize(request, event);
      routeName = `${route.method} ${route.path}`;
      logger.appendKeys({ route: routeName });
      db = getDatabase();
      const response = await inSubsegment(
        tracer,
        `### ${routeName}`,
        () =>
          route.handler(
            { ...request, params },
            { db: db as Database, logger, principal: request.principal },
          ),
        { route: routeName },
      );
      status = response.status;
      const result = toResult(response, requestId);
      // HEAD: the GET route's status and headers, no body.
      return request.method === "HEAD" ? { ...result, body: "" } : result;
    } catch (err) {
      const mapped = toHttpError(err);
      status = mapped.status;
      if (err instanceof UnauthorizedError) {
        // Why (expired, bad signature, …) stays here; the token itself is never logged.
        logger.warn("unauthenticated request", { reason: err.reason });
      }
      if (mapped.status >= 500) {
        // Server-side only: the stack, the SQL error, the Prisma code. The client gets none of it.
        logger.error("request failed", { error: err as Error, status, code: mapped.code });
      }
      const result = toResult(
        {
          status: mapped.status,
          headers: mapped.headers,
          body: errorBody(mapped.code, mapped.message, requestId),
        },
        requestId,
      );
      return request.method === "HEAD" ? { ...result, body: "" } : result;
    } finally {
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      const dbStats = db && before ? db.stats.since(before) : db?.stats.snapshot();
      logger.info("request", {
        route: routeName,
        status,
        durationMs,
        ...(dbStats ? { statements: dbStats.statements, dbMs: dbStats.operationMs } : {}),
      });
      if (status >= 500) tracer.putAnnotation("error", true);
      logger.removeKeys(["apiRequestId", "method", "path", "route", "creatorId"]);
    }
  }
}
