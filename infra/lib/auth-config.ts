/**
 * Stack config of who may call the API (`huntaze-api:auth`) and of the edge firewall
 * (`huntaze-api:firewall`). Defaults are the production values; staging relaxes them only by
 * setting keys explicitly.
 */
import type { ConfigReader } from "./config-reader";

export const MFA_MODES = ["ON", "OPTIONAL", "OFF"] as const;
export type MfaMode = (typeof MFA_MODES)[number];

/** The user pool this stack creates (the default identity provider). */
export interface CreatedPoolSettings {
  kind: "created";
  /** Anyone may sign up (off: only an administrator creates logins). @default false */
  selfSignUp: boolean;
  /** `ON` (every login has a TOTP second factor), `OPTIONAL` or `OFF`. @default "ON" */
  mfa: MfaMode;
  /** @default 14 */
  passwordMinLength: number;
  /** @default 3 */
  temporaryPasswordDays: number;
  /** ID and access token lifetime, minutes (5–1440). @default 60 */
  tokenMinutes: number;
  /** Refresh token lifetime, days (1–3650). @default 30 */
  refreshTokenDays: number;
  /** @default true */
  deletionProtection: boolean;
}

/** An existing Cognito user pool: API Gateway's Cognito authorizer verifies its tokens. */
export interface ExistingPoolSettings {
  kind: "existing";
  userPoolArn: string;
  /** App clients whose ID tokens the API accepts (the `aud` claim). */
  clientIds: string[];
}

/**
 * An OIDC issuer that is not a Cognito pool: API Gateway cannot verify its tokens itself, so the
 * stack deploys a Lambda `REQUEST` authorizer (handlers/authorizer.ts) that checks them against
 * the issuer's JWKS.
 */
export interface OidcSettings {
  kind: "oidc";
  /** Expected `iss`, e.g. `https://login.example.com/`. */
  issuer: string;
  /** Accepted `aud` values. */
  audience: string[];
  /** The issuer's key set. @default `<issuer>/.well-known/jwks.json` */
  jwksUri: string;
}

/** Claims shared by every identity provider. */
export interface AuthSettings {
  pool: CreatedPoolSettings | ExistingPoolSettings | OidcSettings;
  /** The claim naming the caller's creator, which users must not be able to write. */
  creatorClaim: string;
  /** Authorizer result cache, seconds (0–3600): a revoked token works at most this long. */
  authorizerCacheSeconds: number;
}

export interface FirewallSettings {
  /** A WAFv2 web ACL in front of the stage. Only staging may turn it off. @default true */
  enabled: boolean;
  /** Requests one IP may make per 5 minutes before it is blocked (WAF's minimum is 10). */
  ratePerIpPer5Minutes: number;
  /** Blocked requests per 5 minutes that page someone. */
  blockedRequestsAlarmThreshold: number;
}

const USER_POOL_ARN =
  /^arn:aws[a-z-]*:cognito-idp:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:userpool\/[\w-]+_[0-9a-zA-Z]+$/;
const CLIENT_ID = /^[\w+]{1,128}$/;

export function readAuth(r: ConfigReader, stage: string): AuthSettings {
  const project = r.project;
  return r.object(
    "auth",
    'an object such as { mfa: "ON", tokenMinutes: 60 }, or { userPoolArn: "arn:aws:cognito-idp:…", clientIds: ["…"] } for an existing pool',
    (f): AuthSettings => {
      const userPoolArn = f.optionalString("userPoolArn", {
        pattern: USER_POOL_ARN,
        expected:
          "a Cognito user pool ARN such as arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI",
      });
      const clientIds = f.optionalStringList("clientIds", {
        pattern: CLIENT_ID,
        expected: "a list of the existing pool's app client ids whose tokens the API accepts",
      });
      const oidcIssuer = f.optionalString("oidcIssuer", {
        pattern: /^https:\/\/[^\s#?]+$/,
        expected: "the issuer's https:// URL, exactly as its tokens' iss claim",
      });
      const oidcAudience = f.optionalStringList("oidcAudience", {
        pattern: /^\S{1,256}$/,
        expected: "a list of the aud values the API accepts",
      });
      const oidcJwksUri = f.optionalString("oidcJwksUri", {
        pattern: /^https:\/\/[^\s#]+$/,
        expected: "the issuer's JWKS https:// URL",
      });
      const creatorClaim = f.string(
        "creatorClaim",
        {
          pattern: /^[\w:.-]{1,128}$/,
          expected: "a claim name such as custom:creator_id (one users cannot write)",
        },
        "custom:creator_id",
      );
      const authorizerCacheSeconds = f.number(
        "authorizerCacheSeconds",
        { min: 0, max: 3600, integer: true, expected: "seconds in [0, 3600]" },
        300,
      );
      const created: CreatedPoolSettings = {
        kind: "created",
        selfSignUp: f.boolean("selfSignUp", false),
        mfa: f.string("mfa", { oneOf: MFA_MODES }, "ON") as MfaMode,
        passwordMinLength: f.number(
          "passwordMinLength",
          { min: 12, max: 99, integer: true, expected: "an integer in [12, 99]" },
          14,
        ),
        temporaryPasswordDays: f.number(
          "temporaryPasswordDays",
          { min: 1, max: 7, integer: true, expected: "days in [1, 7]" },
          3,
        ),
        tokenMinutes: f.number(
          "tokenMinutes",
          { min: 5, max: 1440, integer: true, expected: "minutes in [5, 1440] (Cognito's range)" },
          60,
        ),
        refreshTokenDays: f.number(
          "refreshTokenDays",
          { min: 1, max: 3650, integer: true, expected: "days in [1, 3650]" },
          30,
        ),
        deletionProtection: f.boolean("deletionProtection", true),
      };
      if ((userPoolArn === undefined) !== (clientIds === undefined)) {
        r.problem(
          `${project}:auth.userPoolArn and auth.clientIds must be set together (an existing pool and the app clients the API accepts), or neither to create a pool`,
        );
      }
      if (stage === "prod" && created.selfSignUp) {
        r.problem(
          `${project}:auth.selfSignUp must be false in prod: creator logins are created by an administrator (docs/AUTHENTICATION.md)`,
        );
      }
      if (stage === "prod" && !created.deletionProtection) {
        r.problem(
          `${project}:auth.deletionProtection must be true in prod: deleting the pool deletes every login`,
        );
      }
      if ((oidcIssuer === undefined) !== (oidcAudience === undefined)) {
        r.problem(
          `${project}:auth.oidcIssuer and auth.oidcAudience must be set together (the issuer and the aud values the API accepts)`,
        );
      }
      if (oidcIssuer !== undefined && userPoolArn !== undefined) {
        r.problem(
          `${project}:auth must name either an existing user pool (userPoolArn) or an OIDC issuer (oidcIssuer), not both`,
        );
      }
      const oidc: OidcSettings | undefined =
        oidcIssuer !== undefined && oidcAudience !== undefined
          ? {
              kind: "oidc",
              issuer: oidcIssuer,
              audience: oidcAudience,
              jwksUri: oidcJwksUri ?? `${oidcIssuer.replace(/\/$/, "")}/.well-known/jwks.json`,
            }
          : undefined;
      return {
        pool:
          oidc ??
          (userPoolArn !== undefined && clientIds !== undefined
            ? { kind: "existing", userPoolArn, clientIds }
            : created),
        creatorClaim,
        authorizerCacheSeconds,
      };
    },
  );
}

export function readFirewall(r: ConfigReader, stage: string): FirewallSettings {
  const project = r.project;
  return r.object(
    "firewall",
    "an object such as { enabled: true, ratePerIpPer5Minutes: 2000 }",
    (f): FirewallSettings => {
      const enabled = f.boolean("enabled", true);
      if (stage === "prod" && !enabled) {
        r.problem(
          `${project}:firewall.enabled must be true in prod: the stage is public on the internet (only staging may opt out)`,
        );
      }
      return {
        enabled,
        ratePerIpPer5Minutes: f.number(
          "ratePerIpPer5Minutes",
          {
            min: 10,
            max: 2_000_000_000,
            integer: true,
            expected: "an integer ≥ 10 (requests per IP per 5 minutes; WAF's minimum is 10)",
          },
          2000,
        ),
        blockedRequestsAlarmThreshold: f.number(
          "blockedRequestsAlarmThreshold",
          { min: 1, max: 10_000_000, integer: true, expected: "a whole number of requests ≥ 1" },
          500,
        ),
      };
    },
  );
}
