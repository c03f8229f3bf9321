import { Authorizer } from "@pulumi/aws/apigateway/authorizer";
import { Method } from "@pulumi/aws/apigateway/method";
import { Resource as ApiResource } from "@pulumi/aws/apigateway/resource";
import { RestApi } from "@pulumi/aws/apigateway/restApi";
import { Stage as RestApiStage } from "@pulumi/aws/apigateway/stage";
import { UserPool } from "@pulumi/aws/cognito/userPool";
import { WebAcl } from "@pulumi/aws/wafv2/webAcl";
import { WebAclAssociation } from "@pulumi/aws/wafv2/webAclAssociation";
import {
  apiMethodAuthorization,
  apiStageWaf,
  cognitoUserPoolHardening,
} from "../../policies/src/api-access";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNoResourceViolations,
  assertNoStackViolations,
  assertStackNotApplicable,
  createResourceValidationArgs,
  createStackValidationArgs,
  res,
  UNKNOWN,
} from "./helpers";

const HEALTH_ROUTE = {
  route: "GET /health",
  reason: "Load balancers call it without credentials; no tenant data.",
};

describe("#api-method-authorization", () => {
  const policy = apiMethodAuthorization;
  // Ids are unknown at preview: the policy reads links and inputs only.
  const api = res(RestApi, "http-api", { name: "huntaze-api-prod", rootResourceId: UNKNOWN });
  const authorizer = res(
    Authorizer,
    "http-authorizer",
    { type: "COGNITO_USER_POOLS" },
    {
      restApi: [api],
    },
  );
  const proxy = res(
    ApiResource,
    "http-proxy",
    { pathPart: "{proxy+}", parentId: UNKNOWN },
    {
      parentId: [api],
    },
  );
  const health = res(
    ApiResource,
    "http-health",
    { pathPart: "health", parentId: UNKNOWN },
    {
      parentId: [api],
    },
  );
  const method = (
    name: string,
    on: ReturnType<typeof res>,
    httpMethod: string,
    props: Record<string, unknown>,
    withAuthorizer = true,
  ) =>
    res(
      Method,
      name,
      { httpMethod, resourceId: UNKNOWN, ...props },
      { resourceId: [on], ...(withAuthorizer ? { authorizerId: [authorizer] } : {}) },
    );
  const authorized = { authorization: "COGNITO_USER_POOLS", authorizerId: UNKNOWN };
  const stack = (proxyMethod = method("http-proxy-method", proxy, "ANY", authorized)) =>
    createStackValidationArgs(
      [
        api,
        authorizer,
        proxy,
        health,
        method("http-root-method", api, "ANY", authorized),
        proxyMethod,
        method("http-health-method", health, "GET", { authorization: "NONE" }, false),
      ],
      { policy, config: { publicRoutes: [HEALTH_ROUTE] } },
    );

  it("passes authorized methods and the listed public health route", async () => {
    await assertNoStackViolations(policy, stack());
  });

  it("fails a method with authorization NONE that is not a listed public route, naming its route", async () => {
    await assertHasStackViolation(
      policy,
      stack(method("http-proxy-method", proxy, "ANY", { authorization: "NONE" }, false)),
      {
        message:
          'API method "http-proxy-method" (ANY /{proxy+}) must require authorization (authorization is NONE)',
        resource: "http-proxy-method",
      },
    );
  });

  it("fails a Cognito method without an authorizer", async () => {
    await assertHasStackViolation(
      policy,
      stack(
        method("http-proxy-method", proxy, "ANY", { authorization: "COGNITO_USER_POOLS" }, false),
      ),
      { message: "must name its authorizer (authorization is COGNITO_USER_POOLS" },
    );
  });

  it("fails the health route when the config does not list it", async () => {
    const args = createStackValidationArgs(
      [api, health, method("http-health-method", health, "GET", { authorization: "NONE" }, false)],
      { policy },
    );
    await assertHasStackViolation(policy, args, { message: "(GET /health) must require" });
  });
});

describe("#api-stage-waf", () => {
  const policy = apiStageWaf;
  const stage = res(RestApiStage, "http-stage", { stageName: "v1" });
  const managed = (name: string, priority: number) => ({
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: "AWS", name } },
  });
  const rate = {
    name: "rate",
    priority: 3,
    action: { block: {} },
    statement: { rateBasedStatement: { limit: 2000, aggregateKeyType: "IP" } },
  };
  const goodRules = [
    managed("AWSManagedRulesCommonRuleSet", 1),
    managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
    rate,
  ];
  const stack = (rules: unknown[] = goodRules, associated = true, config = {}) => {
    const acl = res(WebAcl, "edge-acl", { scope: "REGIONAL", rules });
    const association = res(
      WebAclAssociation,
      "edge-association",
      { resourceArn: UNKNOWN, webAclArn: UNKNOWN },
      { resourceArn: [stage], webAclArn: [acl] },
    );
    return createStackValidationArgs([stage, acl, ...(associated ? [association] : [])], {
      policy,
      config,
    });
  };

  it("passes a stage associated with an ACL of managed rules and a rate limit", async () => {
    await assertNoStackViolations(policy, stack());
  });

  it("fails a stage without a web ACL association", async () => {
    await assertHasStackViolation(policy, stack(goodRules, false), {
      message: 'API stage "http-stage" must be associated with a WAFv2 web ACL',
      resource: "http-stage",
    });
  });

  it("fails an ACL without the known-bad-inputs group", async () => {
    await assertHasStackViolation(policy, stack([goodRules[0], rate]), {
      message:
        'Web ACL "edge-acl" must include the AWS managed rule groups AWSManagedRulesKnownBadInputsRuleSet.',
    });
  });

  it("fails an ACL whose rate rule only counts", async () => {
    await assertHasStackViolation(
      policy,
      stack([goodRules[0], goodRules[1], { ...rate, action: { count: {} } }]),
      { message: "must include a rate-based rule that blocks" },
    );
  });

  it("stands down where the config does not require an ACL (staging)", async () => {
    await assertStackNotApplicable(
      policy,
      stack(goodRules, false, { required: false }),
      /required: false/,
    );
  });
});

describe("#cognito-user-pool-hardening", () => {
  const policy = cognitoUserPoolHardening;
  const happy = (props: Record<string, unknown> = {}, config?: Record<string, unknown>) =>
    createResourceValidationArgs(
      UserPool,
      {
        name: "huntaze-api-prod",
        adminCreateUserConfig: { allowAdminCreateUserOnly: true },
        passwordPolicy: {
          minimumLength: 14,
          requireLowercase: true,
          requireUppercase: true,
          requireNumbers: true,
          requireSymbols: true,
        },
        mfaConfiguration: "ON",
        deletionProtection: "ACTIVE",
        ...props,
      },
      { policy, config },
    );

  it("passes an admin-only pool with a strong password policy, MFA and deletion protection", async () => {
    await assertNoResourceViolations(policy, happy());
  });

  it("fails a pool left at AWS's default, which allows self sign-up", async () => {
    await assertHasResourceViolation(policy, happy({ adminCreateUserConfig: undefined }), {
      message:
        "Cognito user pool must allow only administrators to create users (adminCreateUserConfig.allowAdminCreateUserOnly: true).",
    });
  });

  it("fails a short minimum password length", async () => {
    await assertHasResourceViolation(policy, happy({ passwordPolicy: { minimumLength: 8 } }), {
      message: "at least 12 characters (passwordPolicy.minimumLength is 8)",
    });
  });

  it("fails a policy without symbols", async () => {
    await assertHasResourceViolation(
      policy,
      happy({ passwordPolicy: { minimumLength: 14, requireSymbols: false } }),
      { message: "every character class (requireSymbols is false)" },
    );
  });

  it("fails optional MFA where MFA is required, and accepts it where not", async () => {
    await assertHasResourceViolation(policy, happy({ mfaConfiguration: "OPTIONAL" }), {
      message: "must require MFA (mfaConfiguration is OPTIONAL; expected ON)",
    });
    await assertNoResourceViolations(
      policy,
      happy({ mfaConfiguration: "OPTIONAL" }, { requireMfa: false }),
    );
  });

  it("fails a pool without deletion protection (AWS default INACTIVE)", async () => {
    await assertHasResourceViolation(policy, happy({ deletionProtection: undefined }), {
      message: "must have deletion protection (deletionProtection is INACTIVE)",
    });
  });
});
