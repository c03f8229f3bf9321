import { createHash } from "node:crypto";
import * as apigateway from "@pulumi/aws/apigateway";
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as iam from "@pulumi/aws/iam";
import * as lambda from "@pulumi/aws/lambda";
import * as pulumi from "@pulumi/pulumi";
import type { ApiExecutionLogLevel } from "../config";
import { assumeRolePolicy, rolePolicyDocument } from "../lib/iam";

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
}

/**
 * One JSON object per request. `$context.xrayTraceId` links a log line to its trace; no
 * headers, query strings or bodies (they may hold credentials or personal data).
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  extendedRequestId: "$context.extendedRequestId",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  path: "$context.path",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  integrationStatus: "$context.integrationStatus",
  integrationError: "$context.integration.error",
  errorMessage: "$context.error.message",
  sourceIp: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
  xrayTraceId: "$context.xrayTraceId",
});

/**
 * A REST API (not an HTTP API: only REST stages support X-Ray tracing and sampling rules)
 * proxying every route to one function, with a traced stage, JSON access logs and execution logs
 * in 30-day groups it owns, and stage-wide throttling.
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
    const integrations = createRoutes(this.api);
    this.invokePermission = createInvokePermission(this.api);
    this.deployment = createDeployment(this.api, integrations);
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

    /** `ANY /` and `ANY /{proxy+}`, both Lambda proxy integrations. */
    function createRoutes(api: apigateway.RestApi): apigateway.Integration[] {
      const proxy = new apigateway.Resource(
        `${name}-proxy`,
        { restApi: api.id, parentId: api.rootResourceId, pathPart: "{proxy+}" },
        { parent },
      );
      const routes: Array<[string, pulumi.Input<string>]> = [
        ["root", api.rootResourceId],
        ["proxy", proxy.id],
      ];
      return routes.map(([route, resourceId]) => {
        const method = new apigateway.Method(
          `${name}-${route}-method`,
          { restApi: api.id, resourceId, httpMethod: "ANY", authorization: "NONE" },
          { parent },
        );
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
      integrations: apigateway.Integration[],
    ): apigateway.Deployment {
      // A deployment is a snapshot: redeploy when a route or its target changes.
      const fingerprint = pulumi
        .all(integrations.map((i) => pulumi.all([i.resourceId, i.httpMethod, i.uri, i.type])))
        .apply((parts) => createHash("sha256").update(JSON.stringify(parts)).digest("hex"));
      return new apigateway.Deployment(
        `${name}-deployment`,
        { restApi: api.id, description: "huntaze-api routes", triggers: { routes: fingerprint } },
        { parent, dependsOn: integrations },
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
