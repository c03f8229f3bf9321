import * as cognito from "@pulumi/aws/cognito";
import * as pulumi from "@pulumi/pulumi";
import type { CreatedPoolSettings } from "../config";

export interface IdentityArgs {
  /** Physical pool name, e.g. `huntaze-api-prod`. */
  poolName: string;
  settings: CreatedPoolSettings;
  /**
   * The custom attribute (without `custom:`) that links a login to its creator. Only an
   * administrator can set it: the app client may read it but not write it.
   * @default "creator_id"
   */
  creatorAttribute?: string;
}

/** Attributes a signed-in user may change about themselves; never the creator link. */
const USER_WRITABLE_ATTRIBUTES = ["email", "name"];

/**
 * The API's identity provider: a Cognito user pool of creator logins and one public app client
 * (no secret: browsers and mobile apps cannot keep one) whose ID tokens the API accepts.
 *
 * Hardened by default: administrator-created users only, a long password with every character
 * class, TOTP MFA required, no user-existence hints, token revocation, deletion protection, and
 * a `custom:creator_id` attribute users cannot write. The stack's config relaxes these for
 * staging only (infra/config/auth.ts).
 */
export class Identity extends pulumi.ComponentResource {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly userPoolArn: pulumi.Output<string>;
  readonly userPoolId: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;

  constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:Identity", name, {}, opts);
    const parent = this;
    const settings = normalizeSettings(args.settings);
    const creatorAttribute = args.creatorAttribute ?? "creator_id";

    this.userPool = createUserPool();
    this.client = createClient(this.userPool);
    this.userPoolArn = this.userPool.arn;
    this.userPoolId = this.userPool.id;
    this.clientId = this.client.id;
    this.registerOutputs({
      userPoolArn: this.userPoolArn,
      userPoolId: this.userPoolId,
      clientId: this.clientId,
    });

    function createUserPool(): cognito.UserPool {
      return new cognito.UserPool(
        `${name}-user-pool`,
        {
          name: args.poolName,
          // Lite covers what the API uses (admin-created users, password policy, TOTP MFA, ID
          // tokens); Essentials (the default for new pools) costs ~3× per MAU for features it
          // does not use.
          userPoolTier: "LITE",
          usernameAttributes: ["email"],
          autoVerifiedAttributes: ["email"],
          adminCreateUserConfig: { allowAdminCreateUserOnly: !settings.selfSignUp },
          passwordPolicy: {
            minimumLength: settings.passwordMinLength,
            requireLowercase: true,
            requireUppercase: true,
            requireNumbers: true,
            requireSymbols: true,
            temporaryPasswordValidityDays: settings.temporaryPasswordDays,
          },
          mfaConfiguration: settings.mfa,
          ...(settings.mfa === "OFF" ? {} : { softwareTokenMfaConfiguration: { enabled: true } }),
          accountRecoverySetting: {
            recoveryMechanisms: [{ name: "verified_email", priority: 1 }],
          },
          deletionProtection: settings.deletionProtection ? "ACTIVE" : "INACTIVE",
          schemas: [
            {
              name: creatorAttribute,
              attributeDataType: "String",
              // Mutable so an administrator can relink a login; the client cannot write it.
              mutable: true,
              developerOnlyAttribute: false,
              stringAttributeConstraints: { minLength: "1", maxLength: "10" },
            },
          ],
        },
        // Cognito cannot change a pool's schema in place; an unrelated diff must not replace
        // the pool (and delete every login).
        { parent, ignoreChanges: ["schemas"] },
      );
    }

    function createClient(pool: cognito.UserPool): cognito.UserPoolClient {
      return new cognito.UserPoolClient(
        `${name}-client`,
        {
          name: `${args.poolName}-api`,
          userPoolId: pool.id,
          generateSecret: false,
          // SRP from apps; ADMIN_USER_PASSWORD_AUTH only with IAM credentials (operators and
          // the docs' first-login steps); never the plain USER_PASSWORD_AUTH.
          explicitAuthFlows: [
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
          ],
          preventUserExistenceErrors: "ENABLED",
          enableTokenRevocation: true,
          idTokenValidity: settings.tokenMinutes,
          accessTokenValidity: settings.tokenMinutes,
          refreshTokenValidity: settings.refreshTokenDays,
          tokenValidityUnits: { idToken: "minutes", accessToken: "minutes", refreshToken: "days" },
          readAttributes: ["email", "email_verified", "name", `custom:${creatorAttribute}`],
          writeAttributes: USER_WRITABLE_ATTRIBUTES,
        },
        { parent },
      );
    }
  }
}

function normalizeSettings(settings: CreatedPoolSettings): CreatedPoolSettings {
  if (settings.passwordMinLength < 8 || settings.passwordMinLength > 99) {
    throw new Error(
      `Identity: passwordMinLength must be in [8, 99] (got ${settings.passwordMinLength})`,
    );
  }
  if (settings.tokenMinutes < 5 || settings.tokenMinutes > 1440) {
    throw new Error(`Identity: tokenMinutes must be in [5, 1440] (got ${settings.tokenMinutes})`);
  }
  return settings;
}
