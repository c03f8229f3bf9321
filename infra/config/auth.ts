/**
 * Stack config of who may call the API (`huntaze-api:auth`) and of the edge firewall
 * (`huntaze-api:firewall`). Defaults are the production values; staging relaxes them only by
 * setting keys explicitly, and some may not be relaxed in prod at all (`prodOnlyRules`).
 */
import {
  flag,
  number,
  objectKey,
  oneOf,
  optional,
  setTogether,
  stringList,
  text,
  whenClean,
  withDefault,
} from "./fields";
import * as z from "./zod.bundle";

export const MFA_MODES = ["ON", "OPTIONAL", "OFF"] as const;
export type MfaMode = (typeof MFA_MODES)[number];

const authFields = {
  /** An existing Cognito user pool: API Gateway's Cognito authorizer verifies its tokens. */
  userPoolArn: optional(
    text({
      pattern:
        /^arn:aws[a-z-]*:cognito-idp:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:userpool\/[\w-]+_[0-9a-zA-Z]+$/,
      expected:
        "a Cognito user pool ARN such as arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI",
    }),
  ),
  /** App clients of the existing pool whose ID tokens the API accepts (the `aud` claim). */
  clientIds: optional(
    stringList({
      pattern: /^[\w+]{1,128}$/,
      expected: "a list of the existing pool's app client ids whose tokens the API accepts",
    }),
  ),
  /**
   * An OIDC issuer that is not a Cognito pool: API Gateway cannot verify its tokens itself, so
   * the stack deploys a Lambda `REQUEST` authorizer (handlers/authorizer.ts) that checks them
   * against the issuer's JWKS. Expected `iss`, e.g. `https://login.example.com/`.
   */
  oidcIssuer: optional(
    text({
      pattern: /^https:\/\/[^\s#?]+$/,
      expected: "the issuer's https:// URL, exactly as its tokens' iss claim",
    }),
  ),
  /** Accepted `aud` values of the OIDC issuer's tokens. */
  oidcAudience: optional(
    stringList({ pattern: /^\S{1,256}$/, expected: "a list of the aud values the API accepts" }),
  ),
  /** The issuer's key set. @default `<issuer>/.well-known/jwks.json` */
  oidcJwksUri: optional(
    text({ pattern: /^https:\/\/[^\s#]+$/, expected: "the issuer's JWKS https:// URL" }),
  ),
  /** The claim naming the caller's creator, which users must not be able to write. */
  creatorClaim: withDefault(
    text({
      pattern: /^[\w:.-]{1,128}$/,
      expected: "a claim name such as custom:creator_id (one users cannot write)",
    }),
    "custom:creator_id",
  ),
  /** Authorizer result cache, seconds (0–3600): a revoked token works at most this long. */
  authorizerCacheSeconds: withDefault(
    number({ min: 0, max: 3600, integer: true, expected: "seconds in [0, 3600]" }),
    300,
  ),
  /** Anyone may sign up to the created pool (off: only an administrator creates logins). */
  selfSignUp: withDefault(flag(), false),
  /** `ON` (every login has a TOTP second factor), `OPTIONAL` or `OFF`. */
  mfa: withDefault(oneOf(MFA_MODES), "ON"),
  passwordMinLength: withDefault(
    number({ min: 12, max: 99, integer: true, expected: "an integer in [12, 99]" }),
    14,
  ),
  temporaryPasswordDays: withDefault(
    number({ min: 1, max: 7, integer: true, expected: "days in [1, 7]" }),
    3,
  ),
  /** ID and access token lifetime, minutes (5–1440). */
  tokenMinutes: withDefault(
    number({
      min: 5,
      max: 1440,
      integer: true,
      expected: "minutes in [5, 1440] (Cognito's range)",
    }),
    60,
  ),
  /** Refresh token lifetime, days (1–3650). */
  refreshTokenDays: withDefault(
    number({ min: 1, max: 3650, integer: true, expected: "days in [1, 3650]" }),
    30,
  ),
  deletionProtection: withDefault(flag(), true),
};

export type AuthKeys = z.output<z.ZodMiniObject<typeof authFields>>;

/** `InfraConfig.auth`: the identity provider the keys name, and the claims. */
export function authSettings(k: AuthKeys) {
  const created = {
    kind: "created" as const,
    selfSignUp: k.selfSignUp,
    mfa: k.mfa,
    passwordMinLength: k.passwordMinLength,
    temporaryPasswordDays: k.temporaryPasswordDays,
    tokenMinutes: k.tokenMinutes,
    refreshTokenDays: k.refreshTokenDays,
    deletionProtection: k.deletionProtection,
  };
  const oidc =
    k.oidcIssuer !== undefined && k.oidcAudience !== undefined
      ? {
          kind: "oidc" as const,
          issuer: k.oidcIssuer,
          audience: k.oidcAudience,
          jwksUri: k.oidcJwksUri ?? `${k.oidcIssuer.replace(/\/$/, "")}/.well-known/jwks.json`,
        }
      : undefined;
  const existing =
    k.userPoolArn !== undefined && k.clientIds !== undefined
      ? { kind: "existing" as const, userPoolArn: k.userPoolArn, clientIds: k.clientIds }
      : undefined;
  return {
    /** The identity provider: a pool this stack creates (default), an existing pool, or OIDC. */
    pool: oidc ?? existing ?? created,
    creatorClaim: k.creatorClaim,
    authorizerCacheSeconds: k.authorizerCacheSeconds,
  };
}

const auth = objectKey(
  authFields,
  'an object such as { mfa: "ON", tokenMinutes: 60 }, or { userPoolArn: "arn:aws:cognito-idp:…", clientIds: ["…"] } for an existing pool',
  setTogether(
    "auth",
    "userPoolArn",
    "clientIds",
    "(an existing pool and the app clients the API accepts), or neither to create a pool",
  ),
  setTogether(
    "auth",
    "oidcIssuer",
    "oidcAudience",
    "(the issuer and the aud values the API accepts)",
  ),
  z.superRefine(
    (k: AuthKeys, ctx) => {
      if (k.oidcIssuer !== undefined && k.userPoolArn !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [],
          message:
            "must name either an existing user pool (userPoolArn) or an OIDC issuer (oidcIssuer), not both",
        });
      }
    },
    whenClean("oidcIssuer", "oidcAudience", "userPoolArn"),
  ),
);

/** The WAFv2 web ACL in front of the stage. */
const firewall = objectKey(
  {
    /** A WAFv2 web ACL in front of the stage. Only staging may turn it off. */
    enabled: withDefault(flag(), true),
    /** Requests one IP may make per 5 minutes before it is blocked (WAF's minimum is 10). */
    ratePerIpPer5Minutes: withDefault(
      number({
        min: 10,
        max: 2_000_000_000,
        integer: true,
        expected: "an integer ≥ 10 (requests per IP per 5 minutes; WAF's minimum is 10)",
      }),
      2000,
    ),
    /** Blocked requests per 5 minutes that page someone. */
    blockedRequestsAlarmThreshold: withDefault(
      number({
        min: 1,
        max: 10_000_000,
        integer: true,
        expected: "a whole number of requests ≥ 1",
      }),
      500,
    ),
  },
  "an object such as { enabled: true, ratePerIpPer5Minutes: 2000 }",
);

export const authKeys = { auth, firewall };

type FirewallKeys = z.output<typeof firewall>;

/** Relaxations only staging may make: what prod must keep, with the key and why. */
export function prodOnlyViolations(
  auth: AuthKeys,
  firewall: FirewallKeys,
): { path: string[]; message: string }[] {
  const found: { path: string[]; message: string }[] = [];
  if (auth.selfSignUp) {
    found.push({
      path: ["auth", "selfSignUp"],
      message:
        "must be false in prod: creator logins are created by an administrator (docs/AUTHENTICATION.md)",
    });
  }
  if (!auth.deletionProtection) {
    found.push({
      path: ["auth", "deletionProtection"],
      message: "must be true in prod: deleting the pool deletes every login",
    });
  }
  if (!firewall.enabled) {
    found.push({
      path: ["firewall", "enabled"],
      message:
        "must be true in prod: the stage is public on the internet (only staging may opt out)",
    });
  }
  return found;
}
