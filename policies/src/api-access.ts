import { Authorizer } from "@pulumi/aws/apigateway/authorizer";
import { Method } from "@pulumi/aws/apigateway/method";
import { Resource as ApiResource } from "@pulumi/aws/apigateway/resource";
import { RestApi } from "@pulumi/aws/apigateway/restApi";
import { Stage as RestApiStage } from "@pulumi/aws/apigateway/stage";
import { UserPool } from "@pulumi/aws/cognito/userPool";
import { WebAcl } from "@pulumi/aws/wafv2/webAcl";
import { WebAclAssociation } from "@pulumi/aws/wafv2/webAclAssociation";
import type {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  configOf,
  type ExemptionConfig,
  notExempt,
  schema,
  validateUnlessExempt,
} from "./lib/config";
import { dependenciesVia, isLiteral, label, ofType } from "./lib/stack";

/**
 * Who may call the API and what stands in front of it: every REST method behind an authorizer
 * (except reasoned public routes), prod stages behind a WAF web ACL, and hardened user pools.
 * Decided from inputs and links known at preview (a method's path from its resource's
 * `pathPart` and parent links, a stage's ACL from the association's `resourceArn` link), never
 * from ids or ARNs the provider computes.
 */

// ---------------------------------------------------------------------------------------------

export interface PublicRoute {
  /** `METHOD /path`, e.g. `GET /health` (ANY for an ANY method). */
  route: string;
  reason: string;
}

export interface MethodAuthorizationConfig extends ExemptionConfig {
  publicRoutes: PublicRoute[];
}

const methodAuthorizationSchema = schema({
  publicRoutes: {
    type: "array",
    description:
      "Routes served without authorization on purpose, each with its reason (e.g. a health check load balancers call).",
    items: {
      type: "object",
      properties: {
        route: { type: "string", pattern: "^[A-Z]+ /" },
        reason: { type: "string", minLength: 10 },
      },
      required: ["route", "reason"],
      additionalProperties: false,
    },
    default: [],
  },
});

const AUTHORIZER_TYPES = new Set(["COGNITO_USER_POOLS", "CUSTOM"]);

/**
 * The path of an API resource from links and inputs: `/` for the API's root (a method or
 * resource whose id came from the RestApi), else the parent's path plus `pathPart`.
 */
function pathOf(
  idProperty: string,
  r: PolicyResource,
  byUrn: Map<string, PolicyResource>,
  depth = 0,
): string | undefined {
  const [source] = dependenciesVia(r, [idProperty]);
  if (!source || depth > 20) return undefined;
  if (source.isType(RestApi)) return "/";
  if (!source.isType(ApiResource)) return undefined;
  const resource = byUrn.get(source.urn) ?? source;
  const parentPath = pathOf("parentId", resource, byUrn, depth + 1);
  const part = resource.props.pathPart;
  if (parentPath === undefined || typeof part !== "string") return undefined;
  return `${parentPath === "/" ? "" : parentPath}/${part}`;
}

/** @internal */
export const apiMethodAuthorization: StackValidationPolicy = {
  name: "api-method-authorization",
  description:
    "Every API Gateway REST method must require authorization (COGNITO_USER_POOLS or CUSTOM with an authorizer, or AWS_IAM) unless its route is listed in publicRoutes with a reason (mirrors Checkov CKV_AWS_309, cdk-nag AwsSolutions-APIG4 and AWS Config api-gwv2-authorization-type-configured; peer check #36).",
  configSchema: methodAuthorizationSchema,
  validateStack: (args, report) => {
    const { publicRoutes } = configOf<MethodAuthorizationConfig>(methodAuthorizationSchema, args);
    const allowed = new Map(publicRoutes.map((p) => [p.route, p.reason]));
    const methods = notExempt(ofType(args.resources, Method), methodAuthorizationSchema, args);
    if (methods.length === 0) args.notApplicable("no API Gateway REST methods");
    const byUrn = new Map(args.resources.map((r) => [r.urn, r]));
    for (const method of methods) {
      const authorization = method.props.authorization;
      const httpMethod = String(method.props.httpMethod ?? "?");
      const path = pathOf("resourceId", method, byUrn);
      const route = `${httpMethod} ${path ?? "(path unknown)"}`;
      if (authorization === "NONE" || authorization === undefined) {
        if (path !== undefined && allowed.has(route)) continue;
        report(
          `${label("API method", method)} (${route}) must require authorization (authorization is ${authorization ?? "unset"}); if it is public on purpose, list "${route}" in publicRoutes with the reason.`,
          method.urn,
        );
        continue;
      }
      if (AUTHORIZER_TYPES.has(String(authorization))) {
        const linked = dependenciesVia(method, ["authorizerId"]).some((d) => d.isType(Authorizer));
        const literal =
          isLiteral(method, ["authorizerId"]) &&
          typeof method.props.authorizerId === "string" &&
          method.props.authorizerId !== "";
        if (!linked && !literal) {
          report(
            `${label("API method", method)} (${route}) must name its authorizer (authorization is ${authorization} but authorizerId is unset).`,
            method.urn,
          );
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------

export interface StageWafConfig extends ExemptionConfig {
  required: boolean;
  managedRuleGroups: string[];
  requireRateLimit: boolean;
}

const stageWafSchema = schema({
  required: {
    type: "boolean",
    default: true,
    description: "Require a web ACL on every stage (false only for a non-production stack).",
  },
  managedRuleGroups: {
    type: "array",
    items: { type: "string" },
    default: ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"],
    description: "AWS managed rule groups the web ACL must include.",
  },
  requireRateLimit: {
    type: "boolean",
    default: true,
    description: "Require a rate-based rule (per-IP limit) in the web ACL.",
  },
});

interface AclRule {
  statement?: {
    managedRuleGroupStatement?: { name?: string; vendorName?: string };
    rateBasedStatement?: { limit?: number };
  };
  action?: { block?: unknown };
}

/** @internal */
export const apiStageWaf: StackValidationPolicy = {
  name: "api-stage-waf",
  description:
    "Production API Gateway REST stages must be associated with a WAFv2 web ACL that includes AWS managed rule groups (common rule set, known bad inputs) and a blocking per-IP rate-based rule (mirrors cdk-nag AwsSolutions-APIG3, Checkov CKV2_AWS_29 and AWS Config api-gw-associated-with-waf).",
  configSchema: stageWafSchema,
  validateStack: (args, report) => {
    const config = configOf<StageWafConfig>(stageWafSchema, args);
    const stages = notExempt(ofType(args.resources, RestApiStage), stageWafSchema, args);
    if (stages.length === 0) args.notApplicable("no API Gateway REST stages");
    if (!config.required)
      args.notApplicable("a web ACL is not required for this stack (required: false)");
    const byUrn = new Map(args.resources.map((r) => [r.urn, r]));
    // Index once: stage URN → the web ACLs associated with it through resourceArn.
    const aclsByStage = new Map<string, PolicyResource[]>();
    for (const association of ofType(args.resources, WebAclAssociation)) {
      const acls = dependenciesVia(association, ["webAclArn"])
        .filter((d) => d.isType(WebAcl))
        .map((d) => byUrn.get(d.urn) ?? d);
      for (const target of dependenciesVia(association, ["resourceArn"])) {
        aclsByStage.set(target.urn, [...(aclsByStage.get(target.urn) ?? []), ...acls]);
      }
    }
    for (const stage of stages) {
      const acls = aclsByStage.get(stage.urn) ?? [];
      if (acls.length === 0) {
        report(
          `${label("API stage", stage)} must be associated with a WAFv2 web ACL (an aws.wafv2.WebAclAssociation whose resourceArn is the stage's ARN).`,
          stage.urn,
        );
        continue;
      }
      for (const acl of acls) {
        const rules = (acl.props.rules ?? []) as AclRule[];
        const groups = new Set(
          rules
            .map((r) => r.statement?.managedRuleGroupStatement)
            .filter((g) => g?.vendorName === "AWS")
            .map((g) => g?.name),
        );
        const missing = config.managedRuleGroups.filter((g) => !groups.has(g));
        if (missing.length > 0) {
          report(
            `${label("Web ACL", acl)} must include the AWS managed rule groups ${missing.join(", ")}.`,
            acl.urn,
          );
        }
        const rateLimited = rules.some(
          (r) => r.statement?.rateBasedStatement !== undefined && r.action?.block !== undefined,
        );
        if (config.requireRateLimit && !rateLimited) {
          report(
            `${label("Web ACL", acl)} must include a rate-based rule that blocks (a per-IP request limit).`,
            acl.urn,
          );
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------

export interface UserPoolHardeningConfig extends ExemptionConfig {
  allowSelfSignUp: boolean;
  minPasswordLength: number;
  requireMfa: boolean;
  requireDeletionProtection: boolean;
}

const userPoolSchema = schema({
  allowSelfSignUp: {
    type: "boolean",
    default: false,
    description: "Allow anyone to sign up (false: only administrators create users).",
  },
  minPasswordLength: {
    type: "integer",
    default: 12,
    minimum: 8,
    description: "Minimum passwordPolicy.minimumLength.",
  },
  requireMfa: {
    type: "boolean",
    default: true,
    description: 'Require mfaConfiguration "ON" (false also accepts "OPTIONAL").',
  },
  requireDeletionProtection: {
    type: "boolean",
    default: true,
    description: 'Require deletionProtection "ACTIVE" (false for a non-production stack).',
  },
});

/** @internal */
export const cognitoUserPoolHardening: ResourceValidationPolicy = {
  name: "cognito-user-pool-hardening",
  description:
    "Cognito user pools must allow no self sign-up unless configured, enforce a password policy (length and every character class), require MFA and keep deletion protection on (mirrors cdk-nag AwsSolutions-COG1 password policy and AwsSolutions-COG2 MFA).",
  configSchema: userPoolSchema,
  validateResource: validateUnlessExempt(UserPool, userPoolSchema, (pool, args, report) => {
    const config = configOf<UserPoolHardeningConfig>(userPoolSchema, args);
    // AWS defaults when unset: self sign-up allowed, 8 characters with every class, MFA OFF,
    // deletion protection INACTIVE.
    const adminOnly = pool.adminCreateUserConfig?.allowAdminCreateUserOnly ?? false;
    if (!adminOnly && !config.allowSelfSignUp) {
      report(
        "Cognito user pool must allow only administrators to create users (adminCreateUserConfig.allowAdminCreateUserOnly: true).",
      );
    }
    const policy = pool.passwordPolicy;
    const length = policy?.minimumLength ?? 8;
    if (length < config.minPasswordLength) {
      report(
        `Cognito user pool must require passwords of at least ${config.minPasswordLength} characters (passwordPolicy.minimumLength is ${length}).`,
      );
    }
    const classes = [
      "requireLowercase",
      "requireUppercase",
      "requireNumbers",
      "requireSymbols",
    ] as const;
    const off = classes.filter((c) => policy?.[c] === false);
    if (off.length > 0) {
      report(`Cognito user pool must require every character class (${off.join(", ")} is false).`);
    }
    const mfa = pool.mfaConfiguration ?? "OFF";
    if (mfa === "OFF" || (config.requireMfa && mfa !== "ON")) {
      report(
        `Cognito user pool must require MFA (mfaConfiguration is ${mfa}; expected ON${config.requireMfa ? "" : " or OPTIONAL"}).`,
      );
    }
    if (config.requireDeletionProtection && pool.deletionProtection !== "ACTIVE") {
      report(
        `Cognito user pool must have deletion protection (deletionProtection is ${pool.deletionProtection ?? "INACTIVE"}).`,
      );
    }
  }),
};
