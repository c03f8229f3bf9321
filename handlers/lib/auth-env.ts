/**
 * The API function's authenticator, chosen by its environment (set by infra/components/
 * rest-api.ts; none of these values is a secret: client ids and issuer URLs are public):
 *
 * - `AUTH_MODE=cognito-authorizer` (default stacks, and an existing user pool): API Gateway's
 *   Cognito authorizer verified the token; the function judges its claims (`AUTH_AUDIENCE`).
 * - `AUTH_MODE=jwt` (an OIDC issuer API Gateway cannot verify itself): the function verifies the
 *   bearer token against `AUTH_JWKS_URI` for `AUTH_ISSUER` and `AUTH_AUDIENCE`, with jose's
 *   cached remote key set (refetched at most every 10 minutes, and on an unknown `kid`).
 *
 * - `AUTH_MODE=lambda-authorizer` (an OIDC issuer): the project's `REQUEST` authorizer
 *   (handlers/authorizer.ts) verified the token with `jwt` mode's settings and passed the creator.
 *
 * `AUTH_AUDIENCE` is comma-separated; `AUTH_CREATOR_CLAIM` defaults to `custom:creator_id`;
 * `AUTH_TOKEN_USE` (default `id` with Cognito, none otherwise) pins Cognito's token kind.
 */
import {
  type Authenticator,
  gatewayClaimsAuthenticator,
  jwtAuthenticator,
  lambdaAuthorizerAuthenticator,
} from "./auth";
import { ConfigError } from "./env";

function required(env: NodeJS.ProcessEnv, key: string, example: string): string {
  const value = env[key]?.trim();
  if (!value) {
    throw new ConfigError(`Environment variable ${key} must be set (e.g. ${example}).`);
  }
  return value;
}

export function authenticatorFromEnv(env: NodeJS.ProcessEnv = process.env): Authenticator {
  const mode = env.AUTH_MODE?.trim() || "cognito-authorizer";
  if (mode === "lambda-authorizer") return lambdaAuthorizerAuthenticator();
  const audience = required(env, "AUTH_AUDIENCE", "the app client id, 4abc…")
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean);
  const creatorClaim = env.AUTH_CREATOR_CLAIM?.trim() || undefined;
  if (mode === "cognito-authorizer") {
    return gatewayClaimsAuthenticator({
      audience,
      creatorClaim,
      tokenUse: env.AUTH_TOKEN_USE?.trim() || "id",
    });
  }
  if (mode === "jwt") {
    const issuer = required(env, "AUTH_ISSUER", "https://issuer.example.com/");
    const jwksUri = required(
      env,
      "AUTH_JWKS_URI",
      "https://issuer.example.com/.well-known/jwks.json",
    );
    if (!/^https:\/\//.test(jwksUri)) {
      throw new ConfigError(
        `Environment variable AUTH_JWKS_URI must be an https:// URL (got "${jwksUri}").`,
      );
    }
    return jwtAuthenticator({
      // Required here, not at the top: only AUTH_MODE=jwt needs jose (see jwtAuthenticator).
      keys: (require("jose") as typeof import("jose")).createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: 3000,
      }),
      issuer,
      audience,
      creatorClaim,
      tokenUse: env.AUTH_TOKEN_USE?.trim() || undefined,
    });
  }
  throw new ConfigError(
    `Environment variable AUTH_MODE must be cognito-authorizer, lambda-authorizer or jwt (got "${mode}").`,
  );
}
