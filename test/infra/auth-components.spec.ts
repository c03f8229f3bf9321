import * as assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../infra/config";
import { promiseOf, useComponentMocks } from "./support";

type Modules = {
  restApi: typeof import("../../infra/components/rest-api");
  identity: typeof import("../../infra/components/identity");
  firewall: typeof import("../../infra/components/firewall");
  naming: typeof import("../../infra/lib/naming");
};

const POOL_ARN = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Unit";

describe("identity, authorizer and firewall components under Pulumi's mock runtime", () => {
  let m: Modules;

  before(async () => {
    await useComponentMocks();
    m = {
      restApi: require("../../infra/components/rest-api"),
      identity: require("../../infra/components/identity"),
      firewall: require("../../infra/components/firewall"),
      naming: require("../../infra/lib/naming"),
    };
  });

  function restArgs(
    name: string,
    auth: import("../../infra/components/rest-api").RestApiAuth = { userPoolArns: [POOL_ARN] },
  ): import("../../infra/components/rest-api").RestApiArgs {
    return {
      apiName: name,
      stageName: "v1",
      functionName: `${name}-api`,
      functionInvokeArn:
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/x/invocations",
      logRetentionInDays: 30,
      logsKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/logs",
      throttleRateLimit: 50,
      throttleBurstLimit: 100,
      region: "us-east-1",
      accountId: "123456789012",
      partition: "aws",
      manageAccountLogRole: false,
      auth,
    };
  }

  describe("RestApi authorization", () => {
    it("puts ANY / and ANY /{proxy+} behind the Cognito authorizer and leaves only GET /health public", async () => {
      const api = new m.restApi.RestApi("auth1", restArgs("huntaze-api-auth1"));
      assert.equal(await promiseOf(api.authorizer.type), "COGNITO_USER_POOLS");
      assert.deepEqual(await promiseOf(api.authorizer.providerArns), [POOL_ARN]);
      assert.equal(
        await promiseOf(api.authorizer.identitySource),
        "method.request.header.Authorization",
      );
      assert.equal(await promiseOf(api.authorizer.authorizerResultTtlInSeconds), 300);
      const authorizerId = await promiseOf(api.authorizer.id);
      const methods = await Promise.all(
        api.methods.map(async (method) => ({
          httpMethod: await promiseOf(method.httpMethod),
          authorization: await promiseOf(method.authorization),
          authorizerId: await promiseOf(method.authorizerId),
        })),
      );
      assert.deepEqual(methods, [
        { httpMethod: "ANY", authorization: "COGNITO_USER_POOLS", authorizerId },
        { httpMethod: "ANY", authorization: "COGNITO_USER_POOLS", authorizerId },
        { httpMethod: "GET", authorization: "NONE", authorizerId: undefined },
      ]);
    });

    it("redeploys the stage when the authorizer changes, not only when integrations do", async () => {
      const trigger = async (
        name: string,
        auth: { userPoolArns: string[]; cacheSeconds?: number },
      ) =>
        (await promiseOf(new m.restApi.RestApi(name, restArgs(name, auth)).deployment.triggers))
          ?.routes;
      const base = await trigger("huntaze-api-fp1", { userPoolArns: [POOL_ARN] });
      const otherPool = await trigger("huntaze-api-fp2", { userPoolArns: [`${POOL_ARN}2`] });
      const noCache = await trigger("huntaze-api-fp3", {
        userPoolArns: [POOL_ARN],
        cacheSeconds: 0,
      });
      assert.match(base ?? "", /^[0-9a-f]{64}$/);
      assert.notEqual(otherPool, base);
      assert.notEqual(noCache, base);
    });

    it("answers API Gateway's own 401 with the function's minimal body and WWW-Authenticate", async () => {
      const api = new m.restApi.RestApi("auth2", restArgs("huntaze-api-auth2"));
      const [response] = api.gatewayResponses;
      assert.equal(await promiseOf(response.responseType), "UNAUTHORIZED");
      assert.equal(await promiseOf(response.statusCode), "401");
      const template = (await promiseOf(response.responseTemplates))?.["application/json"] ?? "";
      assert.deepEqual(JSON.parse(template), {
        error: {
          code: "UNAUTHORIZED",
          message: "A valid bearer token is required.",
          requestId: "$context.requestId",
        },
      });
      assert.equal(
        (await promiseOf(response.responseParameters))?.["gatewayresponse.header.WWW-Authenticate"],
        `'Bearer realm="huntaze-api"'`,
      );
    });

    it("refuses an empty list of user pools and an out-of-range cache", () => {
      assert.throws(
        () => new m.restApi.RestApi("auth3", restArgs("huntaze-api-auth3", { userPoolArns: [] })),
        /auth.userPoolArns must name at least one user pool/,
      );
      assert.throws(
        () =>
          new m.restApi.RestApi(
            "auth4",
            restArgs("huntaze-api-auth4", { userPoolArns: [POOL_ARN], cacheSeconds: 7200 }),
          ),
        /auth.cacheSeconds must be an integer in \[0, 3600\]/,
      );
    });
  });

  describe("Identity", () => {
    const settings = {
      kind: "created" as const,
      selfSignUp: false,
      mfa: "ON" as const,
      passwordMinLength: 14,
      temporaryPasswordDays: 3,
      tokenMinutes: 60,
      refreshTokenDays: 30,
      deletionProtection: true,
    };

    it("creates an admin-only pool with MFA, a strong password policy and deletion protection", async () => {
      const id = new m.identity.Identity("identity1", { poolName: "huntaze-api-unit", settings });
      const pool = id.userPool;
      assert.deepEqual(await promiseOf(pool.adminCreateUserConfig), {
        allowAdminCreateUserOnly: true,
      });
      const password = await promiseOf(pool.passwordPolicy);
      assert.equal(password?.minimumLength, 14);
      assert.equal(password?.requireSymbols, true);
      assert.equal(await promiseOf(pool.mfaConfiguration), "ON");
      assert.equal(await promiseOf(pool.deletionProtection), "ACTIVE");
    });

    it("lets the app client read the creator attribute but never write it, with the configured token lifetimes", async () => {
      const id = new m.identity.Identity("identity2", {
        poolName: "huntaze-api-unit2",
        settings: { ...settings, tokenMinutes: 15, mfa: "OPTIONAL", deletionProtection: false },
      });
      const client = id.client;
      assert.ok((await promiseOf(client.readAttributes))?.includes("custom:creator_id"));
      assert.ok(!(await promiseOf(client.writeAttributes))?.some((a) => a.startsWith("custom:")));
      assert.equal(await promiseOf(client.generateSecret), false);
      assert.equal(await promiseOf(client.idTokenValidity), 15);
      assert.equal(await promiseOf(client.preventUserExistenceErrors), "ENABLED");
      assert.ok(!(await promiseOf(client.explicitAuthFlows))?.includes("ALLOW_USER_PASSWORD_AUTH"));
      assert.equal(await promiseOf(id.userPool.deletionProtection), "INACTIVE");
    });
  });

  describe("Firewall", () => {
    const target = () => ({
      naming: new m.naming.Naming("huntaze-api", "unit"),
      topicArn: "arn:aws:sns:us-east-1:123456789012:huntaze-api-unit-alarms",
      runbookBaseUrl: "https://example.com/RUNBOOK.md",
    });

    it("applies the managed rule groups and a per-IP rate rule, logs with Authorization redacted, and alarms on blocks", async () => {
      const fw = new m.firewall.Firewall("fw1", {
        aclName: "huntaze-api-unit",
        stageArn: "arn:aws:apigateway:us-east-1::/restapis/abc/stages/v1",
        ratePerIpPer5Minutes: 1500,
        logRetentionInDays: 30,
        logsKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/logs",
        alarmTarget: target(),
        blockedRequestsAlarmThreshold: 250,
        region: "us-east-1",
      });
      const rules = (await promiseOf(fw.webAcl.rules)) ?? [];
      assert.deepEqual(
        rules.map((r) => r.statement?.managedRuleGroupStatement?.name ?? r.name),
        ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "rate-per-ip"],
      );
      assert.equal(rules[2].statement?.rateBasedStatement?.limit, 1500);
      assert.deepEqual(rules[2].action, { block: {} });
      assert.equal(await promiseOf(fw.logGroup.name), "aws-waf-logs-huntaze-api-unit");
      assert.equal(await promiseOf(fw.logGroup.retentionInDays), 30);
      assert.deepEqual(await promiseOf(fw.logging.redactedFields), [
        { singleHeader: { name: "authorization" } },
      ]);
      assert.equal(
        await promiseOf(fw.association.resourceArn),
        "arn:aws:apigateway:us-east-1::/restapis/abc/stages/v1",
      );
      assert.equal(await promiseOf(fw.alarm.threshold), 250);
      assert.equal(await promiseOf(fw.alarm.namespace), "AWS/WAFV2");
      assert.match((await promiseOf(fw.alarm.alarmDescription)) ?? "", /#waf-blocked-requests$/);
      assert.deepEqual(fw.alarmNames, ["huntaze-api-unit-waf-blocked-requests"]);
    });

    it("refuses a rate limit below WAF's minimum", () => {
      assert.throws(
        () =>
          new m.firewall.Firewall("fw2", {
            aclName: "huntaze-api-unit2",
            stageArn: "arn:x",
            ratePerIpPer5Minutes: 5,
            logRetentionInDays: 30,
            logsKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/logs",
            alarmTarget: target(),
            blockedRequestsAlarmThreshold: 1,
            region: "us-east-1",
          }),
        /ratePerIpPer5Minutes must be an integer ≥ 10/,
      );
    });
  });
});

describe("auth and firewall stack config", () => {
  const MINIMAL = {
    "aws:region": "us-east-1",
    "huntaze-api:alertEmails": '["ops@huntaze.example"]',
    "huntaze-api:database": '{"instanceClass": "db.t4g.micro"}',
  };
  const parse = (values: Record<string, string>, stack = "prod") =>
    parseConfig({ project: "huntaze-api", stack, stackFile: `Pulumi.${stack}.yaml`, values });
  const problemsOf = (values: Record<string, string>, stack = "prod"): string[] => {
    try {
      parse({ ...MINIMAL, ...values }, stack);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems;
    }
    assert.fail("expected the config to be rejected");
  };

  it("defaults to a created, hardened pool and a WAF", () => {
    const cfg = parse(MINIMAL);
    assert.deepEqual(cfg.auth.pool, {
      kind: "created",
      selfSignUp: false,
      mfa: "ON",
      passwordMinLength: 14,
      temporaryPasswordDays: 3,
      tokenMinutes: 60,
      refreshTokenDays: 30,
      deletionProtection: true,
    });
    assert.equal(cfg.auth.creatorClaim, "custom:creator_id");
    assert.equal(cfg.firewall.enabled, true);
    assert.equal(cfg.firewall.ratePerIpPer5Minutes, 2000);
  });

  it("names an existing pool with its app clients", () => {
    const cfg = parse({
      ...MINIMAL,
      "huntaze-api:auth": JSON.stringify({ userPoolArn: POOL_ARN, clientIds: ["abc123"] }),
    });
    assert.deepEqual(cfg.auth.pool, {
      kind: "existing",
      userPoolArn: POOL_ARN,
      clientIds: ["abc123"],
    });
  });

  it("refuses self sign-up, no deletion protection and no firewall in prod, naming the key", () => {
    const problems = problemsOf({
      "huntaze-api:auth": JSON.stringify({ selfSignUp: true, deletionProtection: false }),
      "huntaze-api:firewall": JSON.stringify({ enabled: false }),
    });
    assert.ok(
      problems.some((p) => p.startsWith("huntaze-api:auth.selfSignUp must be false in prod")),
    );
    assert.ok(
      problems.some((p) => p.startsWith("huntaze-api:auth.deletionProtection must be true")),
    );
    assert.ok(
      problems.some((p) => p.startsWith("huntaze-api:firewall.enabled must be true in prod")),
    );
  });

  it("lets staging opt out of the firewall explicitly", () => {
    const cfg = parse(
      { ...MINIMAL, "huntaze-api:firewall": JSON.stringify({ enabled: false }) },
      "staging",
    );
    assert.equal(cfg.firewall.enabled, false);
  });

  it("refuses a half-named existing pool and a weak password length", () => {
    const problems = problemsOf({
      "huntaze-api:auth": JSON.stringify({ userPoolArn: POOL_ARN, passwordMinLength: 8 }),
    });
    assert.ok(
      problems.some((p) => p.includes("auth.userPoolArn and auth.clientIds must be set together")),
    );
    assert.ok(problems.some((p) => p.includes("auth.passwordMinLength")));
  });
});
