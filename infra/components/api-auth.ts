import type * as pulumi from "@pulumi/pulumi";
import type { InfraConfig } from "../config";
import type { LambdaFunction, LambdaFunctionArgs } from "./function";
import type { Identity } from "./identity";
import type { RestApiAuth } from "./rest-api";

/** `huntaze-api:auth`, validated: a created user pool, an existing one, or an OIDC issuer. */
type AuthSettings = InfraConfig["auth"];
type OidcSettings = Extract<AuthSettings["pool"], { kind: "oidc" }>;

/** Threshold of the authorizer function's duration p95 alarm: it only checks a signature. */
export const AUTHORIZER_DURATION_P95_MS = 1000;

/**
 * The token authorizer for an OIDC issuer (handlers/authorizer.ts). API Gateway cannot verify
 * such tokens itself, so this function does, against the issuer's JWKS: hence outside the VPC
 * (it needs the internet, not the database). `environment` is what every function gets.
 */
export function oidcAuthorizerArgs(
  oidc: OidcSettings,
  creatorClaim: string,
  environment: Record<string, pulumi.Input<string>>,
): Pick<
  LambdaFunctionArgs,
  "entry" | "description" | "memoryMb" | "timeoutSeconds" | "environment" | "policyExemptions"
> {
  return {
    environment: {
      ...environment,
      AUTH_ISSUER: oidc.issuer,
      AUTH_AUDIENCE: oidc.audience.join(","),
      AUTH_JWKS_URI: oidc.jwksUri,
      AUTH_CREATOR_CLAIM: creatorClaim,
    },
    entry: "handlers/authorizer.ts",
    description: "huntaze-api token authorizer (OIDC issuer, API Gateway REQUEST authorizer)",
    memoryMb: 256,
    timeoutSeconds: 5,
    // Declared next to the resource so the reason travels with it; renew or remove by the date.
    policyExemptions: [
      {
        policy: "lambda-in-vpc",
        expires: "2027-05-31",
        owner: "platform-team",
        reason:
          "Fetches the OIDC issuer JWKS from the internet which the private VPC without NAT cannot reach. It has no database access.",
      },
    ],
  };
}

/** Who verifies callers' tokens, and what the API function checks on what they pass. */
export interface ApiAuth {
  /**
   * The API function's variables (handlers/lib/auth-env.ts): API Gateway's Cognito authorizer
   * (or, for an OIDC issuer, the authorizer function) verifies tokens; the function checks the
   * app client (`aud`) and the creator claim on what they pass.
   */
  apiEnvironment: Record<string, pulumi.Input<string>>;
  /** The REST API's authorizer: the user pools, or the authorizer function. */
  restApiAuth: RestApiAuth;
}

/**
 * The API's side of `huntaze-api:auth`, given what verifies tokens: the created pool
 * (`identity`), an existing pool (its ARN and app clients from config), or the OIDC authorizer
 * function (`authorizer`).
 */
export function apiAuth(
  auth: AuthSettings,
  verifiers: { identity?: Identity; authorizer?: LambdaFunction },
): ApiAuth {
  const { pool } = auth;
  const { identity, authorizer } = verifiers;
  if ((pool.kind === "created") !== (identity !== undefined)) {
    throw new Error("apiAuth: a created user pool and its Identity component go together");
  }
  if ((pool.kind === "oidc") !== (authorizer !== undefined)) {
    throw new Error("apiAuth: an OIDC issuer and its authorizer function go together");
  }
  const userPoolArns: pulumi.Input<string>[] = identity
    ? [identity.userPoolArn]
    : pool.kind === "existing"
      ? [pool.userPoolArn]
      : [];
  /** App client ids (or OIDC audiences) whose tokens the API accepts: public values. */
  const clientIds: pulumi.Input<string> = identity
    ? identity.clientId
    : pool.kind === "existing"
      ? pool.clientIds.join(",")
      : pool.kind === "oidc"
        ? pool.audience.join(",")
        : "";
  return {
    apiEnvironment: {
      AUTH_MODE: authorizer ? "lambda-authorizer" : "cognito-authorizer",
      AUTH_AUDIENCE: clientIds,
      AUTH_CREATOR_CLAIM: auth.creatorClaim,
    },
    restApiAuth: {
      ...(authorizer
        ? {
            lambdaAuthorizer: {
              functionName: authorizer.function.name,
              invokeArn: authorizer.invokeArn,
            },
          }
        : { userPoolArns }),
      cacheSeconds: auth.authorizerCacheSeconds,
    },
  };
}
