/**
 * What the estimate does with each Pulumi resource type: priced by a pricer, free (no charge
 * of its own, listed with why), or not priced (listed with why). A type missing here is
 * reported as not priced, never dropped; pricing a new type is one entry.
 */
import type { Pricer } from "./context";
import { apiGatewayPricer } from "./pricers/api-gateway";
import { cloudWatchPricer } from "./pricers/cloudwatch";
import { cloudWatchLogsPricer } from "./pricers/cloudwatch-logs";
import { cognitoPricer } from "./pricers/cognito";
import { kmsPricer } from "./pricers/kms";
import { lambdaPricer } from "./pricers/lambda";
import { rdsPricer } from "./pricers/rds";
import { rdsProxyPricer } from "./pricers/rds-proxy";
import { secretsManagerPricer } from "./pricers/secrets-manager";
import { snsPricer } from "./pricers/sns";
import { sqsPricer } from "./pricers/sqs";
import { vpcPricer } from "./pricers/vpc";
import { wafPricer } from "./pricers/waf";
import { xrayPricer } from "./pricers/xray";
import { PRICES } from "./prices";

export type CostEntry =
  /**
   * Its pricer bills it. With `includedBecause`, the type has no line of its own (its cost,
   * if any, is in the pricer's lines) and is not listed.
   */
  | { kind: "priced"; pricer: Pricer; includedBecause?: string }
  /** No charge, or carried by another line: counted under "No charge of their own". */
  | { kind: "free"; reason: string }
  /** Known to cost something the price table does not cover: listed under "Not priced". */
  | { kind: "notPriced"; reason: string };

const priced = (pricer: Pricer): CostEntry => ({ kind: "priced", pricer });
const includedIn = (pricer: Pricer, includedBecause: string): CostEntry => ({
  kind: "priced",
  pricer,
  includedBecause,
});
const free = (reason: string): CostEntry => ({ kind: "free", reason });
const notPriced = (reason: string): CostEntry => ({ kind: "notPriced", reason });

/**
 * The pricers in the order their lines appear. Some also read types they do not own (X-Ray
 * reads functions, sampling rules and stages; Secrets Manager counts RDS-managed masters).
 */
export const PRICERS: readonly Pricer[] = [
  kmsPricer,
  secretsManagerPricer,
  cloudWatchPricer,
  vpcPricer,
  rdsPricer,
  rdsProxyPricer,
  cloudWatchLogsPricer,
  xrayPricer,
  apiGatewayPricer,
  cognitoPricer,
  wafPricer,
  lambdaPricer,
  snsPricer,
  sqsPricer,
];

const NO_CHARGE = "no charge";
const IAM = "IAM has no charge";
const API_REQUESTS = "requests are in the API Gateway line";

export const COST_REGISTRY: Readonly<Record<string, CostEntry>> = {
  // KMS
  "aws:kms/key:Key": priced(kmsPricer),
  "aws:kms/alias:Alias": free("aliases have no charge"),
  "aws:kms/keyPolicy:KeyPolicy": free("key policies have no charge"),
  // Secrets Manager
  "aws:secretsmanager/secret:Secret": priced(secretsManagerPricer),
  "aws:secretsmanager/secretRotation:SecretRotation": priced(secretsManagerPricer),
  "aws:secretsmanager/secretVersion:SecretVersion": free(
    "versions are included in the secret price",
  ),
  "aws:secretsmanager/secretPolicy:SecretPolicy": free(NO_CHARGE),
  "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": free(
    "CloudFormation has no charge for AWS resource types; the rotation function it deploys is in the rotations line",
  ),
  // CloudWatch
  "aws:cloudwatch/metricAlarm:MetricAlarm": priced(cloudWatchPricer),
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": priced(cloudWatchPricer),
  "aws:cloudwatch/dashboard:Dashboard": priced(cloudWatchPricer),
  "aws:cloudwatch/logGroup:LogGroup": priced(cloudWatchLogsPricer),
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": free(NO_CHARGE),
  "aws:cloudwatch/eventRule:EventRule": free(PRICES.eventBridgeRule.note ?? NO_CHARGE),
  "aws:cloudwatch/eventTarget:EventTarget": free(NO_CHARGE),
  // Network
  "aws:ec2/vpcEndpoint:VpcEndpoint": priced(vpcPricer),
  "aws:ec2/natGateway:NatGateway": priced(vpcPricer),
  "aws:ec2/vpc:Vpc": free(NO_CHARGE),
  "aws:ec2/subnet:Subnet": free(NO_CHARGE),
  "aws:ec2/routeTable:RouteTable": free(NO_CHARGE),
  "aws:ec2/routeTableAssociation:RouteTableAssociation": free(NO_CHARGE),
  "aws:ec2/route:Route": free(NO_CHARGE),
  "aws:ec2/internetGateway:InternetGateway": free(NO_CHARGE),
  "aws:ec2/securityGroup:SecurityGroup": free(NO_CHARGE),
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": free(NO_CHARGE),
  "aws:ec2/securityGroupRule:SecurityGroupRule": free(NO_CHARGE),
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": free(NO_CHARGE),
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": free(NO_CHARGE),
  // RDS
  "aws:rds/instance:Instance": priced(rdsPricer),
  "aws:rds/subnetGroup:SubnetGroup": free(NO_CHARGE),
  "aws:rds/parameterGroup:ParameterGroup": free(NO_CHARGE),
  "aws:rds/proxy:Proxy": priced(rdsProxyPricer),
  "aws:rds/proxyTarget:ProxyTarget": includedIn(rdsProxyPricer, "priced with its proxy"),
  "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": free("priced with its proxy"),
  // X-Ray (traces are priced from the functions and stages that record them)
  "aws:xray/samplingRule:SamplingRule": free("traces are in the X-Ray line"),
  // API Gateway
  "aws:apigateway/restApi:RestApi": priced(apiGatewayPricer),
  "aws:apigatewayv2/api:Api": priced(apiGatewayPricer),
  "aws:apigateway/authorizer:Authorizer": includedIn(
    apiGatewayPricer,
    "verifying tokens has no charge of its own",
  ),
  "aws:apigateway/response:Response": includedIn(apiGatewayPricer, "gateway responses are free"),
  "aws:apigateway/account:Account": free(NO_CHARGE),
  "aws:apigateway/resource:Resource": free(API_REQUESTS),
  "aws:apigateway/method:Method": free(API_REQUESTS),
  "aws:apigateway/methodSettings:MethodSettings": free(NO_CHARGE),
  "aws:apigateway/methodResponse:MethodResponse": free(NO_CHARGE),
  "aws:apigateway/integration:Integration": free(API_REQUESTS),
  "aws:apigateway/integrationResponse:IntegrationResponse": free(NO_CHARGE),
  "aws:apigateway/deployment:Deployment": free(NO_CHARGE),
  "aws:apigateway/stage:Stage": free(`${API_REQUESTS} (no cache cluster)`),
  "aws:apigateway/restApiPolicy:RestApiPolicy": free(NO_CHARGE),
  "aws:apigatewayv2/stage:Stage": free(API_REQUESTS),
  "aws:apigatewayv2/integration:Integration": free(API_REQUESTS),
  "aws:apigatewayv2/route:Route": free(API_REQUESTS),
  // Cognito
  "aws:cognito/userPool:UserPool": priced(cognitoPricer),
  "aws:cognito/userPoolClient:UserPoolClient": includedIn(
    cognitoPricer,
    "app clients have no charge; their users are the pool's",
  ),
  // WAF
  "aws:wafv2/webAcl:WebAcl": priced(wafPricer),
  "aws:wafv2/webAclAssociation:WebAclAssociation": includedIn(wafPricer, NO_CHARGE),
  "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": includedIn(
    wafPricer,
    "its logs are in the CloudWatch Logs lines",
  ),
  // Lambda
  "aws:lambda/function:Function": priced(lambdaPricer),
  "aws:lambda/permission:Permission": free(NO_CHARGE),
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": free(NO_CHARGE),
  "aws:lambda/invocation:Invocation": free(
    "its invocations are in the Lambda line (other invocations)",
  ),
  "aws:lambda/layerVersion:LayerVersion": free(
    "code storage has no charge up to the 75 GB account quota",
  ),
  "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": notPriced(
    "provisioned concurrency is not in the price table",
  ),
  // SNS, SQS
  "aws:sns/topic:Topic": priced(snsPricer),
  "aws:sns/topicPolicy:TopicPolicy": free(NO_CHARGE),
  "aws:sns/topicSubscription:TopicSubscription": free("deliveries are in the SNS line"),
  "aws:sqs/queue:Queue": priced(sqsPricer),
  "aws:sqs/queuePolicy:QueuePolicy": free(NO_CHARGE),
  "aws:sqs/redrivePolicy:RedrivePolicy": free(NO_CHARGE),
  // IAM
  "aws:iam/role:Role": free(IAM),
  "aws:iam/policy:Policy": free(IAM),
  "aws:iam/rolePolicy:RolePolicy": free(IAM),
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": free(IAM),
};
