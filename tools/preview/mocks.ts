import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { computedOutputs } from "./computed";

/** The account every offline ARN is built with (AWS's documentation account). */
export const OFFLINE_ACCOUNT_ID = "123456789012";

type State = Record<string, unknown>;

function shortHash(text: string, length = 7): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/**
 * Types that Pulumi auto-names when `name` is not set: the engine gives them
 * `<logical name>-<7 hex>` at create time. Emulated so that outputs such as a topic name
 * resolve to what a real `pulumi up` would show.
 */
const AUTONAMED_NAME_PROPERTY: Record<string, string> = {
  "aws:sns/topic:Topic": "name",
  "aws:sqs/queue:Queue": "name",
  "aws:iam/role:Role": "name",
  "aws:iam/policy:Policy": "name",
  "aws:iam/rolePolicy:RolePolicy": "name",
  "aws:lambda/function:Function": "name",
  "aws:cloudwatch/logGroup:LogGroup": "name",
  "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
  "aws:cloudwatch/eventRule:EventRule": "name",
  "aws:apigateway/restApi:RestApi": "name",
  "aws:secretsmanager/secret:Secret": "name",
  "aws:ec2/securityGroup:SecurityGroup": "name",
  "aws:rds/subnetGroup:SubnetGroup": "name",
  "aws:rds/parameterGroup:ParameterGroup": "name",
  "aws:xray/samplingRule:SamplingRule": "ruleName",
  "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
  "aws:rds/instance:Instance": "identifier",
  "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": "name",
};

/** ARN shape per type: service and resource part, from the physical name and id. */
function arnFor(type: string, region: string, name: string, id: string): string | undefined {
  const a = `${region}:${OFFLINE_ACCOUNT_ID}`;
  switch (type) {
    case "aws:sns/topic:Topic":
      return `arn:aws:sns:${a}:${name}`;
    case "aws:sns/topicSubscription:TopicSubscription":
      return `arn:aws:sns:${a}:topic:${id}`;
    case "aws:sqs/queue:Queue":
      return `arn:aws:sqs:${a}:${name}`;
    case "aws:iam/role:Role":
      return `arn:aws:iam::${OFFLINE_ACCOUNT_ID}:role/${name}`;
    case "aws:iam/policy:Policy":
      return `arn:aws:iam::${OFFLINE_ACCOUNT_ID}:policy/${name}`;
    case "aws:lambda/function:Function":
      return `arn:aws:lambda:${a}:function:${name}`;
    case "aws:cloudwatch/logGroup:LogGroup":
      return `arn:aws:logs:${a}:log-group:${name}`;
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return `arn:aws:cloudwatch:${a}:alarm:${name}`;
    case "aws:cloudwatch/eventRule:EventRule":
      return `arn:aws:events:${a}:rule/${name}`;
    case "aws:cloudwatch/dashboard:Dashboard":
      return `arn:aws:cloudwatch::${OFFLINE_ACCOUNT_ID}:dashboard/${name}`;
    case "aws:kms/key:Key":
      return `arn:aws:kms:${a}:key/${id}`;
    case "aws:kms/alias:Alias":
      return `arn:aws:kms:${a}:${name}`;
    case "aws:secretsmanager/secret:Secret":
      return `arn:aws:secretsmanager:${a}:secret:${name}-${shortHash(name, 6)}`;
    case "aws:xray/samplingRule:SamplingRule":
      return `arn:aws:xray:${a}:sampling-rule/${name}`;
    case "aws:apigateway/restApi:RestApi":
      return `arn:aws:apigateway:${region}::/restapis/${id}`;
    case "aws:apigateway/stage:Stage":
      return `arn:aws:apigateway:${region}::/restapis/${id}`;
    case "aws:rds/instance:Instance":
      return `arn:aws:rds:${a}:db:${name}`;
    case "aws:rds/subnetGroup:SubnetGroup":
      return `arn:aws:rds:${a}:subgrp:${name}`;
    case "aws:rds/parameterGroup:ParameterGroup":
      return `arn:aws:rds:${a}:pg:${name}`;
    case "aws:ec2/vpc:Vpc":
      return `arn:aws:ec2:${a}:vpc/${id}`;
    case "aws:ec2/subnet:Subnet":
      return `arn:aws:ec2:${a}:subnet/${id}`;
    case "aws:ec2/securityGroup:SecurityGroup":
      return `arn:aws:ec2:${a}:security-group/${id}`;
    case "aws:ec2/vpcEndpoint:VpcEndpoint":
      return `arn:aws:ec2:${a}:vpc-endpoint/${id}`;
    case "aws:ec2/routeTable:RouteTable":
      return `arn:aws:ec2:${a}:route-table/${id}`;
    default:
      return undefined;
  }
}

/** Ids in the shape AWS returns them, derived from the URN so runs are reproducible. */
function idFor(type: string, name: string, physicalName: string | undefined, seed: string): string {
  const h = shortHash(seed, 17);
  switch (type) {
    case "aws:ec2/vpc:Vpc":
      return `vpc-${h}`;
    case "aws:ec2/subnet:Subnet":
      return `subnet-${h}`;
    case "aws:ec2/securityGroup:SecurityGroup":
      return `sg-${h}`;
    case "aws:ec2/vpcEndpoint:VpcEndpoint":
      return `vpce-${h}`;
    case "aws:ec2/routeTable:RouteTable":
      return `rtb-${h}`;
    case "aws:kms/key:Key":
      return [
        h.slice(0, 8),
        h.slice(8, 12),
        h.slice(12, 16),
        "8000",
        shortHash(`${seed}k`, 12),
      ].join("-");
    case "aws:apigateway/restApi:RestApi":
    case "aws:apigateway/resource:Resource":
    case "aws:apigateway/deployment:Deployment":
      return shortHash(seed, 10);
    default:
      return physicalName ?? `${name}-${shortHash(seed)}`;
  }
}

export interface AwsMockOptions {
  /**
   * Answer as `pulumi preview` does for a stack that does not exist yet: inputs (and the
   * auto-generated physical names, which the provider computes during preview) are known; every
   * output the provider computes on create, and the resource's id, is unknown. When false, answer
   * as for a deployed stack: realistic ids, ARNs, URLs and endpoints.
   * @default true
   */
  firstDeploy?: boolean;
}

/**
 * Outputs of a resource about to be created: its inputs and auto-name, everything the provider
 * computes unknown (an input that is itself unknown stays unknown).
 */
function firstDeployState(
  type: string,
  state: State,
  nameProp: string | undefined,
  unknown: unknown,
): State {
  const { outputOnly, computedInputs } = computedOutputs(type);
  for (const key of outputOnly) state[key] = unknown;
  for (const key of computedInputs) {
    if (key !== nameProp && (state[key] === undefined || state[key] === "")) state[key] = unknown;
  }
  return state;
}

/**
 * Mocks that answer as the AWS provider would. By default as for a first deploy (computed
 * outputs unknown); with `firstDeploy: false`, ids, ARNs, URLs and endpoints, so outputs that
 * depend on them resolve instead of staying `undefined`.
 */
export function createAwsMocks(region: string, options: AwsMockOptions = {}): pulumi.runtime.Mocks {
  const firstDeploy = options.firstDeploy !== false;
  // The SDK's unknown sentinel, from the copy of @pulumi/pulumi the program runs on.
  const { unknown } = require("@pulumi/pulumi/output") as typeof import("@pulumi/pulumi/output");
  return {
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
      const inputs = args.inputs as State;
      const state: State = { ...inputs };
      const seed = `${args.type}::${args.name}`;

      const nameProp = AUTONAMED_NAME_PROPERTY[args.type];
      if (nameProp && (state[nameProp] === undefined || state[nameProp] === "")) {
        const prefix = state.namePrefix;
        state[nameProp] =
          typeof prefix === "string"
            ? `${prefix}${shortHash(seed, 12)}`
            : `${args.name}-${shortHash(seed)}`;
        if (args.type === "aws:sqs/queue:Queue" && state.fifoQueue === true)
          state[nameProp] += ".fifo";
      }
      // The engine leaves a new resource's id unknown during preview ("" on the wire).
      if (firstDeploy) {
        // Pulumi computes an auto-name during preview; a name from `namePrefix` is the
        // provider's, made on create.
        const known = typeof inputs.namePrefix === "string" ? undefined : nameProp;
        if (nameProp && known === undefined && inputs[nameProp] === undefined)
          state[nameProp] = undefined;
        return { id: "", state: firstDeployState(args.type, state, known, unknown) };
      }
      const physicalName = nameProp ? String(state[nameProp]) : undefined;
      const id = idFor(args.type, args.name, physicalName, seed);
      const arn = arnFor(args.type, region, physicalName ?? id, id);
      if (arn && state.arn === undefined) state.arn = arn;

      switch (args.type) {
        case "aws:kms/key:Key":
          state.keyId = id;
          break;
        case "aws:sqs/queue:Queue":
          state.url = `https://sqs.${region}.amazonaws.com/${OFFLINE_ACCOUNT_ID}/${physicalName}`;
          break;
        case "aws:lambda/function:Function":
          state.invokeArn = `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${state.arn}/invocations`;
          state.qualifiedArn = `${state.arn}:$LATEST`;
          state.version = "$LATEST";
          break;
        case "aws:apigateway/restApi:RestApi":
          state.rootResourceId = shortHash(`${seed}root`, 10);
          state.executionArn = `arn:aws:execute-api:${region}:${OFFLINE_ACCOUNT_ID}:${id}`;
          break;
        case "aws:apigateway/stage:Stage":
          state.invokeUrl = `https://${String(inputs.restApi)}.execute-api.${region}.amazonaws.com/${String(inputs.stageName)}`;
          state.executionArn = `arn:aws:execute-api:${region}:${OFFLINE_ACCOUNT_ID}:${String(inputs.restApi)}/${String(inputs.stageName)}`;
          // The stage ARN X-Ray sampling rules match on.
          state.arn = `arn:aws:apigateway:${region}::/restapis/${String(inputs.restApi)}/stages/${String(inputs.stageName)}`;
          break;
        case "aws:rds/instance:Instance": {
          const address = `${physicalName}.${shortHash(seed, 12)}.${region}.rds.amazonaws.com`;
          state.address = address;
          state.port = inputs.port ?? 5432;
          state.endpoint = `${address}:${String(state.port)}`;
          state.resourceId = `db-${shortHash(seed, 26).toUpperCase()}`;
          if (inputs.manageMasterUserPassword === true) {
            state.masterUserSecrets = [
              {
                secretArn: `arn:aws:secretsmanager:${region}:${OFFLINE_ACCOUNT_ID}:secret:rds!db-${shortHash(seed, 8)}-${shortHash(`${seed}s`, 6)}`,
                kmsKeyId: inputs.masterUserSecretKmsKeyId,
                secretStatus: "active",
              },
            ];
          }
          break;
        }
        case "aws:serverlessrepository/cloudFormationStack:CloudFormationStack":
          state.outputs = {
            RotationLambdaARN: `arn:aws:lambda:${region}:${OFFLINE_ACCOUNT_ID}:function:${String(state.name)}`,
          };
          break;
        case "aws:lambda/invocation:Invocation":
          state.result = JSON.stringify({ ok: true, applied: [], offline: true });
          break;
        case "aws:secretsmanager/secretVersion:SecretVersion":
          state.versionId = shortHash(seed, 32);
          break;
        default:
          break;
      }
      return { id, state };
    },

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
      switch (args.token) {
        case "aws:index/getRegion:getRegion":
          return {
            id: region,
            name: region,
            region,
            endpoint: `ec2.${region}.amazonaws.com`,
            description: region,
          };
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return {
            id: OFFLINE_ACCOUNT_ID,
            accountId: OFFLINE_ACCOUNT_ID,
            arn: `arn:aws:iam::${OFFLINE_ACCOUNT_ID}:user/offline`,
            userId: "AIDAOFFLINE",
          };
        case "aws:index/getPartition:getPartition":
          return {
            id: "aws",
            partition: "aws",
            dnsSuffix: "amazonaws.com",
            reverseDnsPrefix: "com.amazonaws",
          };
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
          return {
            id: region,
            names: [`${region}a`, `${region}b`, `${region}c`],
            zoneIds: ["use1-az1", "use1-az2", "use1-az4"],
          };
        case "aws:iam/getPolicyDocument:getPolicyDocument":
          return {
            json: JSON.stringify({
              Version: "2012-10-17",
              Statement: args.inputs.statements ?? [],
            }),
          };
        default:
          return args.inputs as Record<string, unknown>;
      }
    },
  };
}
