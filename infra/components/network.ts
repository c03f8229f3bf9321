import { DefaultSecurityGroup } from "@pulumi/aws/ec2/defaultSecurityGroup";
import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { Subnet } from "@pulumi/aws/ec2/subnet";
import { Vpc } from "@pulumi/aws/ec2/vpc";
import { VpcEndpoint } from "@pulumi/aws/ec2/vpcEndpoint";
import { getAvailabilityZonesOutput } from "@pulumi/aws/getAvailabilityZones";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import * as pulumi from "@pulumi/pulumi";

/**
 * An AWS API the functions call from inside the VPC, reached through an interface endpoint
 * (private DNS: the SDKs' default hostnames resolve to it, nothing to configure in the code).
 *
 * **Cost** (us-east-1, 2026): $0.01 per endpoint per AZ-hour = **$7.30 per AZ per month**, plus
 * $0.01 per GB processed. Two AZs: $14.60 a month per endpoint; the three below: $43.80 a month
 * (one AZ: $21.90). A NAT gateway would be $32.85 a month per AZ plus $0.045 per GB, and would
 * give the functions a path to the whole internet, which they do not need.
 */
export interface EndpointService {
  /** The service part of `com.amazonaws.<region>.<service>`. */
  service: string;
  /** Who calls it, and why it cannot be skipped. */
  why: string;
  /** Whether the service accepts an endpoint policy (restricting it to this account). */
  supportsPolicy: boolean;
}

/**
 * What the functions call, decided call by call:
 * - **secretsmanager**: the API and worker read the app secret; the migration function reads the
 *   master secret and writes the app secret; the rotation function reads and writes both.
 * - **rds**: the alternating-users rotation function calls `rds:DescribeDBInstances` to find the
 *   host of an RDS-managed master secret (that secret holds only a username and password).
 * - **xray**: the X-Ray daemon Lambda runs beside the function forwards its segments over HTTPS
 *   through the function's network interfaces; without a route, traces silently stop.
 *
 * Not needed: **KMS** — the functions never call it (Secrets Manager decrypts server-side, and
 * Lambda decrypts the environment before the code starts); **CloudWatch Logs** — Lambda ships
 * stdout itself, outside the VPC; **STS** — credentials come from the execution role. Each
 * would cost another $7.30 per AZ per month for nothing.
 */
export const ENDPOINT_SERVICES: readonly EndpointService[] = [
  {
    service: "secretsmanager",
    why: "functions and the rotation function read and write secrets",
    supportsPolicy: true,
  },
  {
    service: "rds",
    why: "the rotation function looks up the managed master secret's instance",
    supportsPolicy: true,
  },
  {
    service: "xray",
    why: "the X-Ray daemon sends trace segments",
    supportsPolicy: false,
  },
];

export const POSTGRES_PORT = 5432;
const HTTPS_PORT = 443;

export interface NetworkArgs {
  /** `huntaze-api-<stack>`: the Name tag prefix. */
  namePrefix: string;
  region: string;
  accountId: pulumi.Input<string>;
  /**
   * An existing VPC and its private subnets (≥ 2 AZs) instead of creating a VPC.
   * @default none (a VPC with two private subnets is created)
   */
  existing?: { vpcId: string; subnetIds: string[] };
  /** CIDR of the created VPC; each private subnet gets a sixteenth of it. @default "10.40.0.0/16" */
  cidrBlock?: string;
  /**
   * Create the interface endpoints of `ENDPOINT_SERVICES`. Turn off only for an existing VPC
   * that has them (one private-DNS endpoint per service and VPC) or that has a NAT gateway;
   * the functions may then use HTTPS to any address.
   * @default true
   */
  createEndpoints?: boolean;
  /** Subnets each endpoint has a network interface in (1 halves the cost). @default 2 */
  endpointAzCount?: 1 | 2;
  /**
   * `rds-proxy`: add the proxy's group (5432 in from `proxyClientSecurityGroup`, out to
   * PostgreSQL) and that client group for the API and the worker, which then have no direct
   * path to the instance; the migration and rotation functions keep theirs.
   * @default "none"
   */
  pooler?: "none" | "rds-proxy";
}

/** A function's place in the VPC (`LambdaFunctionArgs.vpc`). */
export interface FunctionVpc {
  subnetIds: pulumi.Input<string>[];
  securityGroupIds: pulumi.Input<string>[];
}

/** `10.40.0.0/16`, 4 more bits, index 1 → `10.40.16.0/20`. */
export function subnetCidr(cidr: string, newBits: number, index: number): string {
  const [address = "", prefixText = ""] = cidr.split("/");
  const prefix = Number(prefixText);
  const base = address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0) >>> 0;
  const size = prefix + newBits;
  if (size > 28 || index >= 2 ** newBits) {
    throw new Error(`subnet ${index} of ${cidr} with ${newBits} more bits does not exist`);
  }
  const value = (base + index * 2 ** (32 - size)) >>> 0;
  const octets = [24, 16, 8, 0].map((shift) => (value >>> shift) & 255);
  return `${octets.join(".")}/${size}`;
}

/**
 * The data tier's network: private subnets in two AZs with no internet gateway and no NAT,
 * interface endpoints for the AWS APIs the functions call, and security groups that let only
 * the functions and the rotation function reach PostgreSQL on 5432 (and the endpoints on 443).
 *
 * The graph-shaping choices (`existing`, `createEndpoints`) are plain values from typed config.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly subnetIds: pulumi.Output<string>[];
  readonly vpc?: Vpc;
  readonly subnets: Subnet[];
  readonly defaultSecurityGroup?: DefaultSecurityGroup;
  /** Attached to the API, worker and migration functions (only the migration one with a proxy). */
  readonly appSecurityGroup: SecurityGroup;
  /** With `pooler: rds-proxy`: attached to the proxy. */
  readonly proxySecurityGroup?: SecurityGroup;
  /** With `pooler: rds-proxy`: attached to the API and worker (5432 to the proxy only). */
  readonly proxyClientSecurityGroup?: SecurityGroup;
  /** Attached to the secret rotation function. */
  readonly rotationSecurityGroup: SecurityGroup;
  /** Attached to the RDS instance: 5432 from the two groups above, nothing else. */
  readonly databaseSecurityGroup: SecurityGroup;
  readonly endpointSecurityGroup?: SecurityGroup;
  readonly databaseIngress: SecurityGroupIngressRule[];
  readonly endpointIngress: SecurityGroupIngressRule[];
  readonly endpoints: VpcEndpoint[];
  /**
   * Where a function with a direct path to PostgreSQL runs: the private subnets with
   * `appSecurityGroup` (the migration function; the API and the worker without a proxy).
   */
  readonly directVpc: FunctionVpc;
  /**
   * Where the API and the worker run: with `pooler: rds-proxy`, `proxyClientSecurityGroup`
   * (5432 to the proxy only); otherwise `directVpc`.
   */
  readonly clientVpc: FunctionVpc;
  /**
   * The endpoints and the ingress rules: a function in the VPC reaches PostgreSQL and the AWS
   * APIs once these exist (a run on deploy waits for them).
   */
  readonly paths: pulumi.Resource[];

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:Network", name, {}, opts);
    const parent = this;
    const cidrBlock = args.cidrBlock ?? "10.40.0.0/16";
    const createEndpoints = args.createEndpoints ?? true;
    const endpointAzCount = args.endpointAzCount ?? 2;

    normalizeExisting();
    this.vpc = args.existing ? undefined : createVpc();
    this.vpcId = this.vpc ? this.vpc.id : pulumi.output(args.existing!.vpcId);
    this.subnets = this.vpc ? createSubnets(this.vpc) : [];
    this.subnetIds = this.vpc
      ? this.subnets.map((s) => s.id)
      : args.existing!.subnetIds.map((id) => pulumi.output(id));
    this.defaultSecurityGroup = this.vpc ? lockDefaultSecurityGroup(this.vpc) : undefined;
    this.databaseSecurityGroup = createGroup(
      "db",
      "PostgreSQL: 5432 from the functions and the rotation function only",
    );
    this.endpointSecurityGroup = createEndpoints
      ? createGroup("endpoints", "AWS API interface endpoints: 443 from the functions only")
      : undefined;
    if (args.pooler === "rds-proxy") {
      this.proxySecurityGroup = createProxyGroup();
      this.proxyClientSecurityGroup = createClientGroup(
        "proxy-clients",
        "huntaze-api functions behind RDS Proxy: the proxy and the AWS API endpoints, nothing else",
        this.proxySecurityGroup,
      );
    }
    this.appSecurityGroup = createClientGroup(
      "app",
      "huntaze-api functions: PostgreSQL and the AWS API endpoints, nothing else",
    );
    this.rotationSecurityGroup = createClientGroup(
      "rotation",
      "Secrets Manager rotation function: PostgreSQL and the AWS API endpoints, nothing else",
    );
    const direct: Array<[string, SecurityGroup]> = [
      ["app", this.appSecurityGroup],
      ["rotation", this.rotationSecurityGroup],
    ];
    const proxyClients: Array<[string, SecurityGroup]> = this.proxyClientSecurityGroup
      ? [["proxy-clients", this.proxyClientSecurityGroup]]
      : [];
    this.databaseIngress = [
      ...allowFromClients(this.databaseSecurityGroup, "db", POSTGRES_PORT, direct),
      ...(this.proxySecurityGroup
        ? allowFromClients(this.databaseSecurityGroup, "db", POSTGRES_PORT, [
            ["proxy", this.proxySecurityGroup],
          ])
        : []),
      ...(this.proxySecurityGroup
        ? allowFromClients(this.proxySecurityGroup, "proxy", POSTGRES_PORT, proxyClients)
        : []),
    ];
    this.endpointIngress = this.endpointSecurityGroup
      ? allowFromClients(this.endpointSecurityGroup, "endpoints", HTTPS_PORT, [
          ...direct,
          ...proxyClients,
        ])
      : [];
    this.endpoints = this.endpointSecurityGroup
      ? createEndpointsIn(this.endpointSecurityGroup)
      : [];
    this.directVpc = { subnetIds: this.subnetIds, securityGroupIds: [this.appSecurityGroup.id] };
    this.clientVpc = this.proxyClientSecurityGroup
      ? { subnetIds: this.subnetIds, securityGroupIds: [this.proxyClientSecurityGroup.id] }
      : this.directVpc;
    this.paths = [...this.endpoints, ...this.databaseIngress, ...this.endpointIngress];

    this.registerOutputs({
      vpcId: this.vpcId,
      subnetIds: this.subnetIds,
      appSecurityGroupId: this.appSecurityGroup.id,
      databaseSecurityGroupId: this.databaseSecurityGroup.id,
    });

    function normalizeExisting(): void {
      if (args.existing && new Set(args.existing.subnetIds).size < 2) {
        throw new Error(
          `${name}: an existing VPC needs at least two private subnets in different AZs (an RDS subnet group spans two AZs)`,
        );
      }
    }

    function tags(suffix: string): Record<string, string> {
      return { Name: `${args.namePrefix}-${suffix}` };
    }

    function createVpc(): Vpc {
      return new Vpc(
        `${name}-vpc`,
        {
          cidrBlock,
          // Interface endpoints' private DNS needs both.
          enableDnsSupport: true,
          enableDnsHostnames: true,
          tags: tags("vpc"),
        },
        { parent },
      );
    }

    function createSubnets(vpc: Vpc): Subnet[] {
      // Zones that need no opt-in (no Local or Wavelength Zones), in name order.
      const zones = getAvailabilityZonesOutput(
        {
          state: "available",
          filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
        },
        { parent },
      ).names;
      return [0, 1].map(
        (i) =>
          new Subnet(
            `${name}-private-${i}`,
            {
              vpcId: vpc.id,
              cidrBlock: subnetCidr(cidrBlock, 4, i),
              availabilityZone: zones.apply((names) => {
                if (names.length < 2) {
                  throw new Error(
                    `${name}: ${args.region} offers fewer than two availability zones`,
                  );
                }
                return names[i]!;
              }),
              // Private: nothing launched here gets a public address, and there is no route out.
              mapPublicIpOnLaunch: false,
              tags: tags(`private-${i}`),
            },
            { parent },
          ),
      );
    }

    function lockDefaultSecurityGroup(vpc: Vpc): DefaultSecurityGroup {
      // Managing the VPC's default group with no rules removes AWS's allow-all-within-group
      // rules, so nothing attached to it by mistake can talk (Checkov CKV2_AWS_12).
      return new DefaultSecurityGroup(
        `${name}-default-sg`,
        { vpcId: vpc.id, ingress: [], egress: [], tags: tags("default-deny") },
        { parent },
      );
    }

    function createGroup(suffix: string, description: string): SecurityGroup {
      // No inline rules: ingress comes from the rule resources below, and the provider removes
      // the default allow-all egress rule AWS adds to a new group.
      return new SecurityGroup(
        `${name}-${suffix}-sg`,
        { vpcId: pulumi.output(parent.vpcId), description, tags: tags(suffix) },
        { parent },
      );
    }

    function createProxyGroup(): SecurityGroup {
      return new SecurityGroup(
        `${name}-proxy-sg`,
        {
          vpcId: pulumi.output(parent.vpcId),
          description: "RDS Proxy: 5432 from the API and worker only, out to PostgreSQL only",
          egress: [
            {
              description: "PostgreSQL",
              protocol: "tcp",
              fromPort: POSTGRES_PORT,
              toPort: POSTGRES_PORT,
              securityGroups: [parent.databaseSecurityGroup.id],
            },
          ],
          tags: tags("proxy"),
        },
        { parent },
      );
    }

    function createClientGroup(
      suffix: string,
      description: string,
      postgres: SecurityGroup = parent.databaseSecurityGroup,
    ): SecurityGroup {
      const toDatabase = {
        description: postgres === parent.databaseSecurityGroup ? "PostgreSQL" : "RDS Proxy",
        protocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        securityGroups: [postgres.id],
      };
      const toApis = parent.endpointSecurityGroup
        ? {
            description: "AWS APIs through the interface endpoints",
            protocol: "tcp",
            fromPort: HTTPS_PORT,
            toPort: HTTPS_PORT,
            securityGroups: [parent.endpointSecurityGroup.id],
          }
        : {
            // The VPC's own route to AWS APIs (its endpoints or a NAT gateway) decides.
            description: "AWS APIs (the existing VPC's endpoints or NAT)",
            protocol: "tcp",
            fromPort: HTTPS_PORT,
            toPort: HTTPS_PORT,
            cidrBlocks: ["0.0.0.0/0"],
          };
      return new SecurityGroup(
        `${name}-${suffix}-sg`,
        {
          vpcId: pulumi.output(parent.vpcId),
          description,
          // Egress only: nothing connects to a Lambda function.
          egress: [toDatabase, toApis],
          tags: tags(suffix),
        },
        { parent },
      );
    }

    function allowFromClients(
      group: SecurityGroup,
      suffix: string,
      port: number,
      clients: Array<[string, SecurityGroup]>,
    ): SecurityGroupIngressRule[] {
      return clients.map(
        ([client, source]) =>
          new SecurityGroupIngressRule(
            `${name}-${suffix}-from-${client}`,
            {
              securityGroupId: group.id,
              referencedSecurityGroupId: source.id,
              ipProtocol: "tcp",
              fromPort: port,
              toPort: port,
              description: `${port} from the ${client} security group`,
            },
            { parent },
          ),
      );
    }

    function createEndpointsIn(group: SecurityGroup): VpcEndpoint[] {
      const subnetIds = parent.subnetIds.slice(0, endpointAzCount);
      // The endpoint answers this account's principals only: a function cannot be used to
      // reach another account's secrets through it.
      const policy = pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "ThisAccountOnly",
            Effect: "Allow",
            Principal: "*",
            Action: "*",
            Resource: "*",
            Condition: { StringEquals: { "aws:PrincipalAccount": args.accountId } },
          },
        ],
      });
      return ENDPOINT_SERVICES.map(
        (endpoint) =>
          new VpcEndpoint(
            `${name}-${endpoint.service}-endpoint`,
            {
              vpcId: parent.vpcId,
              serviceName: `com.amazonaws.${args.region}.${endpoint.service}`,
              vpcEndpointType: "Interface",
              privateDnsEnabled: true,
              subnetIds,
              securityGroupIds: [group.id],
              ...(endpoint.supportsPolicy ? { policy } : {}),
              tags: tags(endpoint.service),
            },
            { parent },
          ),
      );
    }
  }
}
