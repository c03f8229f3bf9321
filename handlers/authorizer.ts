/**
 * Entry point of the API's Lambda `REQUEST` authorizer, deployed only when the stack trusts an
 * OIDC issuer (`huntaze-api:auth.oidc`) instead of a Cognito user pool, which API Gateway can
 * verify by itself. It verifies the bearer token exactly as `npm run dev` does
 * (handlers/lib/auth.ts `jwtAuthenticator`: RS256 pinned, issuer, audience, expiry, the creator
 * claim) against the issuer's JWKS (`AUTH_MODE=jwt` settings; keys cached by jose across
 * invocations), and hands the API function the creator through its context.
 *
 * Answers: a valid token → Allow on the whole stage (the verdict is cached per token for the
 * authorizer's TTL, so it must not depend on the path); no or a bad token → "Unauthorized"
 * (API Gateway's 401, with the project's body); a valid login with no creator → Deny (403).
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { type Authenticator, ForbiddenError, UnauthorizedError } from "./lib/auth";
import { authenticatorFromEnv } from "./lib/auth-env";
import type { ApiRequest } from "./lib/http";
import { logger } from "./lib/logger";

/**
 * `arn:…:execute-api:<region>:<account>:<api id>/<stage>/*` from the request's method ARN
 * (`…:<api id>/<stage>/<METHOD>/<path>`).
 */
export function stageWildcard(methodArn: string): string {
  const [apiArn, stage] = methodArn.split("/");
  return `${apiArn}/${stage}/*`;
}

function policy(
  principalId: string,
  effect: "Allow" | "Deny",
  resource: string,
  context?: Record<string, string>,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: resource }],
    },
    ...(context ? { context } : {}),
  };
}

export function createAuthorizer(authenticator: Authenticator) {
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const headers: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(event.headers ?? {})) {
      headers[key.toLowerCase()] = value ?? undefined;
    }
    const request = { headers } as ApiRequest;
    try {
      const principal = await authenticator(request, event as never);
      return policy(principal.subject, "Allow", stageWildcard(event.methodArn), {
        creatorId: String(principal.creatorId),
      });
    } catch (err) {
      if (err instanceof UnauthorizedError) {
        logger.warn("unauthenticated request", { reason: err.reason });
        throw new Error("Unauthorized"); // API Gateway's contract for a 401
      }
      if (err instanceof ForbiddenError) {
        return policy("unlinked", "Deny", stageWildcard(event.methodArn));
      }
      throw err; // the issuer's JWKS unreachable: a 500, retried by the client
    }
  };
}

let authorize: ReturnType<typeof createAuthorizer> | undefined;

/** Built on the first invocation (a missing setting fails that invocation, naming the variable). */
export const handler = (event: APIGatewayRequestAuthorizerEvent) => {
  authorize ??= createAuthorizer(authenticatorFromEnv({ ...process.env, AUTH_MODE: "jwt" }));
  return authorize(event);
};
