/**
 * Who is calling, and for which creator: the one place that authenticates a request and decides
 * whether it may act on the creator named in its path.
 *
 * Two ways to learn the caller's claims, one way to judge them:
 * - `gatewayClaimsAuthenticator` (deployed, Cognito authorizer): API Gateway has already checked
 *   the ID token's signature, expiry and issuer before invoking the function, and hands over its
 *   claims in `requestContext.authorizer.claims` — a field a client cannot set.
 * - `jwtAuthenticator` (`npm run dev`, the tests, and any stack whose issuer API Gateway cannot
 *   verify itself): verifies the bearer token with `jose` against a key set (a local key, or the
 *   issuer's JWKS), pinning the algorithm, issuer and audience.
 * Both end in `principalFromClaims`, which checks the audience and token use again (the Cognito
 * authorizer accepts an ID token of any app client of the pool) and reads the creator id from a
 * claim the user cannot write. The creator id in the path is never trusted: `authorizeCreator`
 * compares it with the token's and answers exactly like a missing creator when they differ, so
 * a caller cannot tell another creator's id from an unused one (no existence oracle).
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import type { JWTVerifyGetKey } from "jose";
import { HttpError, NotFoundError } from "./errors";
import type { ApiRequest } from "./http";
import { parseId } from "./validation";

/** The verified caller. */
export interface Principal {
  /** The creator this login may act for (from the creator claim, never from the path). */
  creatorId: number;
  /** The token's subject (the Cognito user's `sub`): logs, never authorization. */
  subject: string;
}

/** Authenticates a request: resolves to its principal, or throws `UnauthorizedError`. */
export type Authenticator = (
  request: ApiRequest,
  event: APIGatewayProxyEvent,
) => Promise<Principal>;

/** What `WWW-Authenticate` says on every 401 (RFC 6750). The same for every cause on purpose. */
export const WWW_AUTHENTICATE = 'Bearer realm="huntaze-api"';

/**
 * 401 with one fixed message whatever went wrong (missing, malformed, expired, wrong signature,
 * `alg: none`, wrong audience): the cause is logged server-side, never returned.
 */
export class UnauthorizedError extends HttpError {
  readonly reason: string;
  constructor(reason: string, options?: ErrorOptions) {
    super(401, "UNAUTHORIZED", "A valid bearer token is required.", {
      ...options,
      headers: { "www-authenticate": WWW_AUTHENTICATE },
    });
    this.name = "UnauthorizedError";
    this.reason = reason;
  }
}

/** 403: a valid login that is not linked to any creator (no creator claim). */
export class ForbiddenError extends HttpError {
  constructor(message = "This login is not linked to a creator.") {
    super(403, "FORBIDDEN", message);
    this.name = "ForbiddenError";
  }
}

/** The custom attribute Cognito puts in ID tokens; only an administrator can set it. */
export const DEFAULT_CREATOR_CLAIM = "custom:creator_id";

export interface ClaimRules {
  /** Accepted `aud` values (Cognito ID tokens: the app client id). */
  audience: string[];
  /** @default "custom:creator_id" */
  creatorClaim?: string;
  /** Required `token_use` (Cognito: "id"); unset for issuers without it. */
  tokenUse?: string;
}

type Claims = Record<string, unknown>;

function audiences(claims: Claims): string[] {
  const aud = claims.aud;
  if (typeof aud === "string") return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === "string") : [];
}

const CREATOR_ID = /^[1-9][0-9]{0,9}$/;

/** Judges verified claims: audience, token use, and the creator they are for. */
export function principalFromClaims(claims: Claims, rules: ClaimRules): Principal {
  if (!audiences(claims).some((a) => rules.audience.includes(a))) {
    throw new UnauthorizedError("audience not accepted");
  }
  if (rules.tokenUse !== undefined && claims.token_use !== rules.tokenUse) {
    throw new UnauthorizedError(`token_use is not "${rules.tokenUse}"`);
  }
  const subject = typeof claims.sub === "string" ? claims.sub : "";
  if (!subject) throw new UnauthorizedError("no sub claim");
  const raw = claims[rules.creatorClaim ?? DEFAULT_CREATOR_CLAIM];
  const text = typeof raw === "number" ? String(raw) : raw;
  if (typeof text !== "string" || !CREATOR_ID.test(text) || Number(text) > 2_147_483_647) {
    throw new ForbiddenError();
  }
  return { creatorId: Number(text), subject };
}

/** The token of `Authorization: Bearer <token>`, or a 401. */
export function bearerToken(request: ApiRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new UnauthorizedError("no Authorization header");
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(header.trim());
  if (!match) throw new UnauthorizedError("Authorization is not a Bearer JWT");
  return match[1];
}

export interface JwtAuthenticatorOptions extends ClaimRules {
  /** The verification keys: `createLocalJWKSet` (dev, tests) or `createRemoteJWKSet` (issuer). */
  keys: JWTVerifyGetKey;
  /** Expected `iss`. */
  issuer: string;
  /** Accepted signature algorithms; never `none` or a symmetric one. @default ["RS256"] */
  algorithms?: string[];
  /** Leeway for clock skew on `exp`/`nbf`, seconds. @default 5 */
  clockToleranceSeconds?: number;
}

/** Verifies the bearer JWT itself (signature, algorithm, issuer, audience, expiry). */
export function jwtAuthenticator(options: JwtAuthenticatorOptions): Authenticator {
  const algorithms = options.algorithms ?? ["RS256"];
  if (algorithms.some((a) => a === "none" || a.startsWith("HS"))) {
    throw new Error("jwtAuthenticator: algorithms must be asymmetric (e.g. RS256), never none/HS*");
  }
  // Loaded when a function verifies tokens itself (AUTH_MODE=jwt, the Lambda authorizer), not
  // by an API function behind the Cognito authorizer: bundles ship jose as its own file.
  const { errors: joseErrors, jwtVerify } = require("jose") as typeof import("jose");
  return async (request) => {
    const token = bearerToken(request);
    let claims: Claims;
    try {
      ({ payload: claims } = await jwtVerify(token, options.keys, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: options.clockToleranceSeconds ?? 5,
        requiredClaims: ["exp", "sub"],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) {
        throw new UnauthorizedError(err.code, { cause: err });
      }
      throw err; // e.g. the issuer's JWKS endpoint is down: a 500/503, not the caller's fault
    }
    return principalFromClaims(claims, options);
  };
}

/**
 * Reads the claims the Cognito authorizer verified. Without them (a method deployed without the
 * authorizer) the request is refused: the function never falls back to trusting the caller.
 */
export function gatewayClaimsAuthenticator(rules: ClaimRules): Authenticator {
  return async (_request, event) => {
    const claims = (event.requestContext?.authorizer as { claims?: unknown } | null | undefined)
      ?.claims;
    if (typeof claims !== "object" || claims === null) {
      throw new UnauthorizedError("no authorizer claims in the request context");
    }
    return principalFromClaims(claims as Claims, rules);
  };
}

/**
 * Reads what this project's Lambda `REQUEST` authorizer (handlers/authorizer.ts, used for an
 * OIDC issuer) verified: it passes the creator and subject as its context, which only the
 * authorizer can set.
 */
export function lambdaAuthorizerAuthenticator(): Authenticator {
  return async (_request, event) => {
    const context = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
    const creator = context?.creatorId;
    const subject = context?.principalId;
    if (typeof subject !== "string" || !subject) {
      throw new UnauthorizedError("no authorizer context in the request context");
    }
    const text = typeof creator === "number" ? String(creator) : creator;
    if (typeof text !== "string" || !CREATOR_ID.test(text)) throw new ForbiddenError();
    return { creatorId: Number(text), subject };
  };
}

/**
 * The authorization decision for a route with a `{id}` creator parameter: the path must name
 * the token's creator. Another creator's id answers exactly what an unknown id answers.
 */
export function authorizeCreator(params: Record<string, string>, principal: Principal): void {
  if (params.id === undefined) return;
  // A malformed id is a 400 naming the field whoever asks: its shape says nothing about data.
  const id = parseId(params.id, "id");
  if (id !== principal.creatorId) {
    throw new NotFoundError(`Creator ${id} was not found.`);
  }
}
