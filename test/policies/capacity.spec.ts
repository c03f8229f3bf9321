import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import { ParameterGroup } from "@pulumi/aws/rds/parameterGroup";
import { Proxy as RdsProxy } from "@pulumi/aws/rds/proxy";
import { ProxyDefaultTargetGroup } from "@pulumi/aws/rds/proxyDefaultTargetGroup";
import { ProxyTarget } from "@pulumi/aws/rds/proxyTarget";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import { lambdaDbConnectionBudget as policy } from "../../policies/src/capacity";
import {
  assertHasStackViolation,
  assertNoStackViolations,
  assertStackNotApplicable,
  createStackValidationArgs,
  postgresIngressSpec,
  res,
  type StackResourceSpec,
  UNKNOWN,
} from "./helpers";

/**
 * A function in group `fn-sg` reaching an RDS instance (db.t4g.micro: ~84 connections by the
 * shared estimate) either directly (its group admitted by `db-sg`) or through an RDS Proxy. Ids of
 * created groups are unknown, as on a first preview: only the engine's links say who reaches what.
 */
function stack(
  options: {
    reserved?: number | undefined;
    instanceClass?: string;
    maxConnectionsParameter?: string;
    proxy?: { maxConnectionsPercent?: number };
    noIngress?: boolean;
    /** The groups' inline `ingress` as on a first preview: unset, so computed by the provider. */
    inlineIngressUnknown?: boolean;
  } = {},
): StackResourceSpec[] {
  const groupProps = options.inlineIngressUnknown
    ? { id: UNKNOWN, ingress: UNKNOWN }
    : { id: UNKNOWN };
  const fnGroup = res(SecurityGroup, "fn-sg", groupProps);
  const dbGroup = res(SecurityGroup, "db-sg", groupProps);
  const fn = res(
    LambdaFunction,
    "api",
    {
      name: "huntaze-api-prod-api",
      reservedConcurrentExecutions: "reserved" in options ? options.reserved : 20,
      vpcConfig: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: [UNKNOWN] },
    },
    { vpcConfig: [fnGroup] },
  );
  const params = res(ParameterGroup, "db-params", {
    name: "huntaze-api-prod",
    family: "postgres17",
    parameters: [
      { name: "rds.force_ssl", value: "1" },
      ...(options.maxConnectionsParameter
        ? [{ name: "max_connections", value: options.maxConnectionsParameter }]
        : []),
    ],
  });
  const db = res(
    RdsInstance,
    "db",
    {
      identifier: "huntaze-api-prod",
      instanceClass: options.instanceClass ?? "db.t4g.micro",
      vpcSecurityGroupIds: [UNKNOWN],
      parameterGroupName: UNKNOWN,
    },
    { vpcSecurityGroupIds: [dbGroup], parameterGroupName: [params] },
  );
  const specs = [fnGroup, dbGroup, fn, params, db];
  if (options.noIngress) return specs;
  if (!options.proxy) return [...specs, postgresIngressSpec("db-from-fn", dbGroup, fnGroup)];
  const proxyGroup = res(SecurityGroup, "proxy-sg", { id: UNKNOWN });
  const proxy = res(
    RdsProxy,
    "proxy",
    { name: "huntaze-api-prod", vpcSecurityGroupIds: [UNKNOWN] },
    { vpcSecurityGroupIds: [proxyGroup] },
  );
  const targetGroup = res(
    ProxyDefaultTargetGroup,
    "proxy-target-group",
    {
      dbProxyName: UNKNOWN,
      connectionPoolConfig:
        options.proxy.maxConnectionsPercent === undefined
          ? {}
          : { maxConnectionsPercent: options.proxy.maxConnectionsPercent },
    },
    { dbProxyName: [proxy] },
  );
  const target = res(
    ProxyTarget,
    "proxy-target",
    { dbProxyName: UNKNOWN, targetGroupName: "default", dbInstanceIdentifier: UNKNOWN },
    { dbProxyName: [proxy], dbInstanceIdentifier: [db] },
  );
  return [
    ...specs,
    proxyGroup,
    proxy,
    targetGroup,
    target,
    postgresIngressSpec("proxy-from-fn", proxyGroup, fnGroup),
    postgresIngressSpec("db-from-proxy", dbGroup, proxyGroup),
  ];
}

const args = (specs: StackResourceSpec[]) => createStackValidationArgs(specs, { policy });

describe("lambda-db-connection-budget", () => {
  it("passes functions whose reserved runtimes fit the instance's connections, with ids unknown", async () => {
    await assertNoStackViolations(policy, args(stack()));
  });

  it("decides at preview when the groups' inline ingress is unknown (left unset, the provider computes it)", async () => {
    await assertNoStackViolations(policy, args(stack({ inlineIngressUnknown: true })));
    await assertHasStackViolation(
      policy,
      args(stack({ inlineIngressUnknown: true, reserved: 100 })),
      {
        message: 'function "api" 100 × 1 + 7 reserved = 107 > max_connections ~84',
      },
    );
  });

  it("fails when reserved concurrency × connections per runtime + reserved slots exceed max_connections", async () => {
    await assertHasStackViolation(policy, args(stack({ reserved: 100 })), {
      resource: "db",
      message:
        'RDS instance "db" must admit the connections of the functions that reach it: function "api" 100 × 1 + 7 reserved = 107 > max_connections ~84 (estimated from db.t4g.micro\'s 1 GiB)',
    });
  });

  it("reads max_connections from the instance's parameter group when it is set there", async () => {
    await assertNoStackViolations(
      policy,
      args(stack({ reserved: 100, maxConnectionsParameter: "200" })),
    );
    await assertHasStackViolation(
      policy,
      args(stack({ reserved: 100, maxConnectionsParameter: "50" })),
      { message: "= 107 > max_connections 50 (parameter group)" },
    );
  });

  it("fails a function that reaches the database without reserved concurrency", async () => {
    await assertHasStackViolation(policy, args(stack({ reserved: undefined })), {
      resource: "api",
      message:
        'Lambda function "api" must set reservedConcurrentExecutions: it reaches RDS instance "db"',
    });
  });

  it("fails an instance class outside the table when no parameter sets max_connections", async () => {
    await assertHasStackViolation(policy, args(stack({ instanceClass: "db.x2g.large" })), {
      message:
        'RDS instance "db" must have a known max_connections: set max_connections in its parameter group (instance class db.x2g.large',
    });
  });

  it("ignores functions whose group the database does not admit", async () => {
    await assertNoStackViolations(policy, args(stack({ reserved: 1000, noIngress: true })));
  });

  it("counts a proxy's share against the instance and its runtimes against the proxy", async () => {
    // 90 % of ~84 = 75 for the proxy + 7 reserved ≤ 84; 100 runtimes ≤ 75 × 2.
    await assertNoStackViolations(
      policy,
      args(stack({ reserved: 100, proxy: { maxConnectionsPercent: 90 } })),
    );
  });

  it("fails a proxy allowed 100 % of max_connections beside the reserved slots", async () => {
    await assertHasStackViolation(policy, args(stack({ proxy: {} })), {
      resource: "db",
      message: "84 for RDS Proxy + 7 reserved = 91 > max_connections ~84",
    });
  });

  it("fails more runtimes than the proxy's connections can serve", async () => {
    await assertHasStackViolation(
      policy,
      args(stack({ reserved: 200, proxy: { maxConnectionsPercent: 90 } })),
      {
        resource: "proxy",
        message:
          'RDS Proxy "proxy" must be able to serve the runtimes that reach it: function "api" 200 × 1 = 200 > its 75 connections (90 % of max_connections ~84',
      },
    );
  });

  it("links literal security group ids of groups outside the program", async () => {
    const fn = (reserved: number) =>
      res(LambdaFunction, "api", {
        reservedConcurrentExecutions: reserved,
        vpcConfig: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0aaa1111"] },
      });
    const db = res(RdsInstance, "db", {
      instanceClass: "db.t4g.micro",
      vpcSecurityGroupIds: ["sg-0bbb2222"],
    });
    const rule = res(SecurityGroupIngressRule, "db-from-fn", {
      securityGroupId: "sg-0bbb2222",
      referencedSecurityGroupId: "sg-0aaa1111",
    });
    await assertNoStackViolations(policy, args([fn(20), db, rule]));
    await assertHasStackViolation(policy, args([fn(100), db, rule]), {
      resource: "db",
      message: 'function "api" 100 × 1 + 7 reserved = 107 > max_connections ~84',
    });
  });

  it("stands down for a stack without a database", async () => {
    const fn = res(LambdaFunction, "api", { reservedConcurrentExecutions: 10 });
    await assertStackNotApplicable(policy, args([fn]), /no RDS instance/);
  });
});
