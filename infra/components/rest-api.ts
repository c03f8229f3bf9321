import { createHash } from "node:crypto";
import * as apigateway from "@pulumi/aws/apigateway";
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as iam from "@pulumi/aws/iam";
import * as lambda from "@pulumi/aws/lambda";
import * as pulumi from "@pulumi/pulumi";
import type { ApiExecutionLogLevel } from "../config";
import { assumeRolePolicy, rolePolicyDocument } from "../lib/iam";
import {
  ACCESS_LOG_FORMAT,
  FORBIDDEN_TEMPLATE,
  PUBLIC_ROUTE,
  UNAUTHORIZED_TEMPLATE,
} from "../lib/rest-api-contract";

export interface RestApiArgs {
  /** Physical API name: also the `ApiName` dimension of its metrics. */
  apiName: string;
  stageName: string;
  /** The function every route proxies to. */
  functionName: pulumi.Input<string>;
  functionInvokeArn: pulumi.Input<string>;
  logRetentionInDays: number;
  /**
   * Customer-managed key encrypting the log groups created here; its key policy must let
   * `logs.<region>.amazonaws.com` use it for log groups.
   */
  logsKmsKeyArn: pulumi.Input<string>;
  /** Steady-state requests per second across the stage. */
  throttleRateLimit: number;
  /** Requests allowed in a burst above the rate. */
  throttleBurstLimit: number;
  /**
   * Execution logging (API Gateway's own log of each request's processing). Bodies are never
   * logged (`dataTraceEnabled` stays false: they may hold personal data).
   * @default "ERROR"
   */
  executionLogLevel?: ApiExecutionLogLevel;
  /**
   * Set the region-wide API Gateway account setting (`aws.apigateway.Account`) to a role that
   * lets API Gateway write logs. Access and execution logging fail without it, but it is one
   * setting per account and region: let exactly one stack per account manage it.
   * @default true
   */
  manageAccountLogRole?: boolean;
  region: string;
  accountId: pulumi.Input<string>;
  partition: string;
  /** Who may call every route except `GET /health`. */
  auth: RestApiAuth;
}

/**
 * API Gateway's Cognito authorizer, not a Lambda `REQUEST` authorizer: it verifies the ID
 * token's signature (the pool's JWKS), expiry and issuer inside API Gateway, so it adds no cold
 * start, no function to patch, monitor or pay for (a Lambda authorizer costs an invocation per
 * uncached request and ~100-300 ms on its own cold starts), and bad tokens never reach the API
 * function. What it does not check — which app client (`aud`), `token_use`, and the creator
 * claim — the API function checks on the verified claims it passes (handlers/lib/auth.ts). A
 * Lambda authorizer would be needed only for an issuer that is not a Cognito user pool.
 */
export interface RestApiAuth {
  /** The user pools whose tokens are accepted (the created pool, or an existing one). */
  userPoolArns?: pulumi.Input<string>[];
  /**
   * Instead of user pools: the project's Lambda `REQUEST` authorizer (handlers/authorizer.ts),
   * for an OIDC issuer API Gateway cannot verify itself. Its verdict is cached per token.
   */
  lambdaAuthorizer?: { functionName: pulumi.Input<string>; invokeArn: pulumi.Input<string> };
  /**
   * How long API Gateway caches a token's verdict, seconds (0–3600). A revoked token keeps
   * working at most this long; 0 verifies every request.
   * @default 300
   */
  cacheSeconds?: number;
}

/**
 * A REST API (not an HTTP API: only REST stages support X-Ray tracing and sampling rules)
 * proxying every route to one function behind a Cognito authorizer (except `GET /health`),
 * with a traced stage, JSON access logs and execution logs in 30-day groups it owns, and
 * stage-wide throttling.
 */
export class RestApi extends pulumi.ComponentResource {
  readonly api: apigateway.RestApi;
  readonly stage: apigateway.Stage;
  readonly deployment: apigateway.Deployment;
  readonly methodSettings: apigateway.MethodSettings;
  readonly accessLogGroup: cloudwatch.LogGroup;
  readonly executionLogGroup?: cloudwatch.LogGroup;
  readonly account?: apigateway.Account;
  readonly invokePermission: lambda.Permission;
  readonly authorizer: apigateway.Authorizer;
  readonly methods: apigateway.Method[];
  readonly gatewayResponses: apigateway.Response[];
  readonly apiName: string;
  readonly stageName: string;
  /** `<api name>/<stage>`: the service name X-Ray gives the stage's segments. */
  readonly xrayServiceName: string;
  readonly url: pulumi.Output<string>;
  readonly stageArn: pulumi.Output<string>;

  constructor(name: string, args: RestApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:RestApi", name, {}, opts);
    const parent = this;

    const executionLogLevel = args.executionLogLevel ?? "ERROR";
    this.apiName = args.apiName;
    this.stageName = args.stageName;
    this.xrayServiceName = `${args.apiName}/${args.stageName}`;

    this.api = createApi();
    this.authorizer = createAuthorizer(this.api);
    const { methods, integrations } = createRoutes(this.api, this.authorizer);
    this.methods = methods;
    const gatewayResponses = createGatewayResponses(this.api);
    this.gatewayResponses = gatewayResponses;
    this.invokePermission = createInvokePermission(this.api);
    this.deployment = createDeployment(
      this.api,
      this.authorizer,
      methods,
      integrations,
      gatewayResponses,
    );
    this.accessLogGroup = createAccessLogGroup();
    this.executionLogGroup = createExecutionLogGroup(this.api);
    this.account = createAccountLogRole();
    this.stage = createStage(this.api, this.deployment, this.accessLogGroup, [
      ...(this.account ? [this.account] : []),
      ...(this.executionLogGroup ? [this.executionLogGroup] : []),
    ]);
    this.methodSettings = createMethodSettings(this.api, this.stage, this.account);
    this.url = this.stage.invokeUrl;
    this.stageArn = this.stage.arn;

    this.registerOutputs({
      url: this.url,
      stageArn: this.stageArn,
      accessLogGroupName: this.accessLogGroup.name,
    });

    function createApi(): apigateway.RestApi {
      return new apigateway.RestApi(
        `${name}-api`,
        {
          name: args.apiName,
          description: `huntaze-api (${args.stageName})`,
          endpointConfiguration: { types: "REGIONAL" },
        },
        { parent },
      );
    }

    function createAuthorizer(api: apigateway.RestApi): apigateway.Authorizer {
      const cacheSeconds = args.auth.cacheSeconds ?? 300;
      if (!Number.isInteger(cacheSeconds) || cacheSeconds < 0 || cacheSeconds > 3600) {
        throw new Error(`RestApi ${name}: auth.cacheSeconds must be an integer in [0, 3600]`);
      }
      const lambdaAuthorizer = args.auth.lambdaAuthorizer;
      if (lambdaAuthorizer) {
        if (args.auth.userPoolArns?.length) {
          throw new Error(`RestApi ${name}: auth takes userPoolArns or lambdaAuthorizer, not both`);
        }
        new lambda.Permission(
          `${name}-authorizer-permission`,
          {
            action: "lambda:InvokeFunction",
            function: lambdaAuthorizer.functionName,
            principal: "apigateway.amazonaws.com",
            // Only this API's authorizers may invoke it.
            sourceArn: pulumi.interpolate`${api.executionArn}/authorizers/*`,
          },
          { parent },
        );
        return new apigateway.Authorizer(
          `${name}-authorizer`,
          {
            restApi: api.id,
            name: `${args.apiName}-oidc`,
            type: "REQUEST",
            authorizerUri: lambdaAuthorizer.invokeArn,
            // The cache key: a request without the header is refused by API Gateway itself.
            identitySource: "method.request.header.Authorization",
            authorizerResultTtlInSeconds: cacheSeconds,
          },
          { parent },
        );
      }
      if (!args.auth.userPoolArns?.length) {
        throw new Error(`RestApi ${name}: auth.userPoolArns must name at least one user pool`);
      }
      return new apigateway.Authorizer(
        `${name}-authorizer`,
        {
          restApi: api.id,
          name: `${args.apiName}-cognito`,
          type: "COGNITO_USER_POOLS",
          providerArns: args.auth.userPoolArns,
          identitySource: "method.request.header.Authorization",
          authorizerResultTtlInSeconds: cacheSeconds,
        },
        { parent },
      );
    }

    /**
     * `ANY /` and `ANY /{proxy+}` behind the authorizer, and `GET /health` without it; all
     * Lambda proxy integrations to the same function.
     */
    function createRoutes(
      api: apigateway.RestApi,
      authorizer: apigateway.Authorizer,
    ): { methods: apigateway.Method[]; integrations: apigateway.Integration[] } {
      const proxy = new apigateway.Resource(
        `${name}-proxy`,
        { restApi: api.id, parentId: api.rootResourceId, pathPart: "{proxy+}" },
        { parent },
      );
      const health = new apigateway.Resource(
        `${name}-health`,
        { restApi: api.id, parentId: api.rootResourceId, pathPart: PUBLIC_ROUTE.path },
        { parent },
      );
      const routes: Array<[string, pulumi.Input<string>, string, boolean]> = [
        ["root", api.rootResourceId, "ANY", true],
        ["proxy", proxy.id, "ANY", true],
        // Public on purpose: see PUBLIC_ROUTE.reason.
        ["health", health.id, PUBLIC_ROUTE.method, false],
      ];
      const methods: apigateway.Method[] = [];
      const integrations = routes.map(([route, resourceId, httpMethod, authorized]) => {
        const method = new apigateway.Method(
          `${name}-${route}-method`,
          {
            restApi: api.id,
            resourceId,
            httpMethod,
            ...(authorized
              ? {
                  authorization: args.auth.lambdaAuthorizer ? "CUSTOM" : "COGNITO_USER_POOLS",
                  authorizerId: authorizer.id,
                }
              : { authorization: "NONE" }),
          },
          { parent },
        );
        methods.push(method);
        return new apigateway.Integration(
          `${name}-${route}-integration`,
          {
            restApi: api.id,
            resourceId,
            httpMethod: method.httpMethod,
            type: "AWS_PROXY",
            // Lambda is always invoked with POST, whatever the client's method.
            integrationHttpMethod: "POST",
            uri: args.functionInvokeArn,
          },
          { parent },
        );
      });
      return { methods, integrations };
    }

    /** API Gateway's own 401s (the authorizer's) answer like the function's. */
    function createGatewayResponses(api: apigateway.RestApi): apigateway.Response[] {
      return [
        new apigateway.Response(
          `${name}-unauthorized-response`,
          {
            restApiId: api.id,
            responseType: "UNAUTHORIZED",
            statusCode: "401",
            responseTemplates: { "application/json": UNAUTHORIZED_TEMPLATE },
            responseParameters: {
              "gatewayresponse.header.WWW-Authenticate": `'Bearer realm="huntaze-api"'`,
              "gatewayresponse.header.Cache-Control": "'no-store'",
            },
          },
          { parent },
        ),
        // A Lambda authorizer's Deny (a login linked to no creator): the function's 403.
        new apigateway.Response(
          `${name}-access-denied-response`,
          {
            restApiId: api.id,
            responseType: "ACCESS_DENIED",
            statusCode: "403",
            responseTemplates: { "application/json": FORBIDDEN_TEMPLATE },
            responseParameters: { "gatewayresponse.header.Cache-Control": "'no-store'" },
          },
          { parent },
        ),
      ];
    }

    function createInvokePermission(api: apigateway.RestApi): lambda.Permission {
      return new lambda.Permission(
        `${name}-invoke-permission`,
        {
          action: "lambda:InvokeFunction",
          function: args.functionName,
          principal: "apigateway.amazonaws.com",
          // Only this API's stage may invoke it, any method and path.
          sourceArn: pulumi.interpolate`${api.executionArn}/${args.stageName}/*/*`,
        },
        { parent },
      );
    }

    function createDeployment(
      api: apigateway.RestApi,
      authorizer: apigateway.Authorizer,
      methods: apigateway.Method[],
      integrations: apigateway.Integration[],
      responses: apigateway.Response[],
    ): apigateway.Deployment {
      // A deployment is a snapshot of methods (with their authorization), authorizers,
      // integrations and gateway responses: redeploy when any of them changes, or an auth
      // change would never reach the live stage.
      const fingerprint = pulumi
        .all([
          pulumi.all(
            methods.map((m) =>
              pulumi.all([m.resourceId, m.httpMethod, m.authorization, m.authorizerId]),
            ),
          ),
          pulumi.all([
            authorizer.type,
            authorizer.providerArns,
            authorizer.authorizerUri,
            authorizer.identitySource,
            authorizer.authorizerResultTtlInSeconds,
          ]),
          pulumi.all(
            integrations.map((i) => pulumi.all([i.resourceId, i.httpMethod, i.uri, i.type])),
          ),
          pulumi.all(
            responses.map((r) =>
              pulumi.all([r.responseType, r.statusCode, r.responseTemplates, r.responseParameters]),
            ),
          ),
        ])
        .apply((parts) => createHash("sha256").update(JSON.stringify(parts)).digest("hex"));
      return new apigateway.Deployment(
        `${name}-deployment`,
        {
          restApi: api.id,
          description: "huntaze-api routes",
          triggers: { routes: fingerprint },
        },
        { parent, dependsOn: [...methods, ...integrations, authorizer, ...responses] },
      );
    }

    function createAccessLogGroup(): cloudwatch.LogGroup {
      return new cloudwatch.LogGroup(
        `${name}-access-logs`,
        {
          name: `/aws/apigateway/${args.apiName}/${args.stageName}/access`,
          retentionInDays: args.logRetentionInDays,
          kmsKeyId: args.logsKmsKeyArn,
        },
        { parent },
      );
    }

    /**
     * API Gateway writes execution logs to `API-Gateway-Execution-Logs_<api id>/<stage>` and
     * creates that group itself, without retention, unless it already exists: so it is
     * declared here, before the stage, with the stack's retention.
     */
    function createExecutionLogGroup(api: apigateway.RestApi): cloudwatch.LogGroup | undefined {
      if (executionLogLevel === "OFF") return undefined;
      return new cloudwatch.LogGroup(
        `${name}-execution-logs`,
        {
          name: pulumi.interpolate`API-Gateway-Execution-Logs_${api.id}/${args.stageName}`,
          retentionInDays: args.logRetentionInDays,
          kmsKeyId: args.logsKmsKeyArn,
        },
        { parent },
      );
    }

    function createAccountLogRole(): apigateway.Account | undefined {
      if (args.manageAccountLogRole === false) return undefined;
      const role = new iam.Role(
        `${name}-cloudwatch-role`,
        {
          description: "Lets API Gateway write access and execution logs (account-wide setting)",
          assumeRolePolicy: assumeRolePolicy("apigateway.amazonaws.com"),
        },
        { parent },
      );
      const policy = new iam.RolePolicy(
        `${name}-cloudwatch-role-policy`,
        {
          role: role.id,
          // The actions of AWS's AmazonAPIGatewayPushToCloudWatchLogs, limited to this account
          // and region. The role is region-wide, used by every REST API of the account.
          policy: rolePolicyDocument(`${name}-cloudwatch-role`, [
            {
              Sid: "PushApiLogs",
              Effect: "Allow",
              Action: [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
                "logs:GetLogEvents",
                "logs:FilterLogEvents",
              ],
              Resource: pulumi.interpolate`arn:${args.partition}:logs:${args.region}:${args.accountId}:*`,
            },
          ]),
        },
        { parent },
      );
      return new apigateway.Account(
        `${name}-account`,
        { cloudwatchRoleArn: role.arn },
        { parent, dependsOn: [policy] },
      );
    }

    function createStage(
      api: apigateway.RestApi,
      deployment: apigateway.Deployment,
      accessLogs: cloudwatch.LogGroup,
      dependsOn: pulumi.Resource[],
    ): apigateway.Stage {
      return new apigateway.Stage(
        `${name}-stage`,
        {
          restApi: api.id,
          deployment: deployment.id,
          stageName: args.stageName,
          xrayTracingEnabled: true,
          accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
        },
        { parent, dependsOn },
      );
    }

    function createMethodSettings(
      api: apigateway.RestApi,
      stage: apigateway.Stage,
      account: apigateway.Account | undefined,
    ): apigateway.MethodSettings {
      return new apigateway.MethodSettings(
        `${name}-method-settings`,
        {
          restApi: api.id,
          stageName: stage.stageName,
          // Every method of every resource.
          methodPath: "*/*",
          settings: {
            metricsEnabled: true,
            loggingLevel: executionLogLevel,
            dataTraceEnabled: false,
            throttlingRateLimit: args.throttleRateLimit,
            throttlingBurstLimit: args.throttleBurstLimit,
          },
        },
        { parent, dependsOn: account ? [account] : [] },
      );
    }
  }
}
