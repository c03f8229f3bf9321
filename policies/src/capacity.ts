import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { SecurityGroupRule } from "@pulumi/aws/ec2/securityGroupRule";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import { ParameterGroup } from "@pulumi/aws/rds/parameterGroup";
import { Proxy as RdsProxy } from "@pulumi/aws/rds/proxy";
import { ProxyDefaultTargetGroup } from "@pulumi/aws/rds/proxyDefaultTargetGroup";
import { ProxyTarget } from "@pulumi/aws/rds/proxyTarget";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configOf, type ExemptionConfig, notExempt, schema } from "./lib/config";
import { outputOrAwsDefault } from "./lib/known";
import {
  instanceClassMemoryGiB,
  maxConnectionsOf,
  PROXY_RUNTIMES_PER_CONNECTION,
  proxyConnectionLimit,
  RESERVED_CONNECTIONS,
} from "./lib/rds-capacity";
import { dependenciesVia, indexReferences, label, ofType, referencedVia } from "./lib/stack";

export interface ConnectionBudgetConfig extends ExemptionConfig {
  connectionsPerRuntime: number;
  reservedConnections: number;
  proxyRuntimesPerConnection: number;
}

const connectionBudgetSchema = schema({
  connectionsPerRuntime: {
    type: "integer",
    minimum: 1,
    default: 1,
    description:
      "Connections one function runtime opens (its pool's max; Prisma's serverless guidance starts at 1).",
  },
  reservedConnections: {
    type: "integer",
    minimum: 0,
    default: RESERVED_CONNECTIONS,
    description:
      "Slots the functions must leave free: PostgreSQL's and RDS's superuser reservations and the rotation function's two.",
  },
  proxyRuntimesPerConnection: {
    type: "number",
    minimum: 1,
    default: PROXY_RUNTIMES_PER_CONNECTION,
    description:
      "Runtimes one RDS Proxy database connection may serve (1 = assume every session pinned).",
  },
});

/**
 * Identities of security groups a property refers to: the URNs of the groups it depends on
 * (known at preview whatever the ids turn out to be), else its literal `sg-…` strings.
 */
function groupKeys(r: PolicyResource, property: string, value: () => unknown): string[] {
  // Dependencies first: a group created by the program has an unknown id at preview, and
  // reading it would stop the policy.
  const deps = dependenciesVia(r, [property]).filter((d) => d.isType(SecurityGroup as never));
  if (deps.length > 0) return deps.map((d) => d.urn);
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string" && v.startsWith("sg-")) out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(value());
  return out;
}

/** Which groups may open connections to which: target group key → source group keys. */
function ingressSources(resources: PolicyResource[]): Map<string, Set<string>> {
  const sources = new Map<string, Set<string>>();
  const add = (targets: string[], froms: string[]) => {
    for (const t of targets) {
      const set = sources.get(t) ?? new Set<string>();
      for (const f of froms) set.add(f);
      sources.set(t, set);
    }
  };
  for (const rule of ofType(resources, SecurityGroupIngressRule)) {
    add(
      groupKeys(rule, "securityGroupId", () => rule.props.securityGroupId),
      groupKeys(rule, "referencedSecurityGroupId", () => rule.props.referencedSecurityGroupId),
    );
  }
  for (const rule of ofType(resources, SecurityGroupRule)) {
    if (rule.props.type !== "ingress") continue;
    add(
      groupKeys(rule, "securityGroupId", () => rule.props.securityGroupId),
      groupKeys(rule, "sourceSecurityGroupId", () => rule.props.sourceSecurityGroupId),
    );
  }
  for (const group of ofType(resources, SecurityGroup)) {
    add(
      [group.urn],
      // Inline rules are an input; left unset, the provider fills the output in from the group's
      // separate rule resources (read above), so an unknown, unlinked value means "none inline".
      groupKeys(group, "ingress", () => outputOrAwsDefault(group, "ingress", [] as unknown[])),
    );
  }
  return sources;
}

interface Demand {
  fn: PolicyResource;
  connections: number;
}

/** @internal */
export const lambdaDbConnectionBudget: StackValidationPolicy = {
  name: "lambda-db-connection-budget",
  description:
    "Lambda functions that reach an RDS instance (its security group admits theirs) or an RDS Proxy in front of it must not be able to open more connections than it admits: reserved concurrency × connections per runtime, plus the proxy's share and reserved slots, within max_connections (the parameter group's value, else estimated from the instance class's memory); through a proxy, within the proxy's share × runtimes per connection (Prisma's serverless guidance: concurrency ≤ max_connections ÷ connections per invocation; no Checkov, cdk-nag or AWS Config equivalent).",
  configSchema: connectionBudgetSchema,
  validateStack: (args, report) => {
    const cfg = configOf<ConnectionBudgetConfig>(connectionBudgetSchema, args);
    const instances = notExempt(ofType(args.resources, RdsInstance), connectionBudgetSchema, args);
    const functions = ofType(args.resources, LambdaFunction);
    if (instances.length === 0 || functions.length === 0) {
      args.notApplicable("no RDS instance and Lambda function together");
      return;
    }
    const sources = ingressSources(args.resources);
    const fnGroups = new Map(
      functions.map((fn) => [
        fn.urn,
        groupKeys(
          fn,
          "vpcConfig",
          () =>
            // Left unset, vpcConfig is computed by the provider: unknown and unlinked is "none".
            (
              outputOrAwsDefault(fn, "vpcConfig", undefined) as
                | { securityGroupIds?: unknown }
                | undefined
            )?.securityGroupIds,
        ),
      ]),
    );
    // Functions by security group, in stack order: who reaches a group is a lookup, not a scan.
    const functionsInGroup = new Map<string, number[]>();
    functions.forEach((fn, at) => {
      for (const g of new Set(fnGroups.get(fn.urn) ?? [])) {
        functionsInGroup.set(g, [...(functionsInGroup.get(g) ?? []), at]);
      }
    });
    /** The functions in a group the given groups admit, in stack order. */
    const reaching = (groups: string[]): PolicyResource[] => {
      const admitted = new Set(groups.flatMap((g) => [...(sources.get(g) ?? [])]));
      const at = new Set([...admitted].flatMap((g) => functionsInGroup.get(g) ?? []));
      return [...at].sort((a, b) => a - b).map((i) => functions[i] as PolicyResource);
    };
    const parameterGroupsOf = indexReferences(ofType(args.resources, ParameterGroup), (group) => [
      group.props.name,
    ]);
    const proxies = ofType(args.resources, RdsProxy);
    // Proxy targets and default target groups by the proxy they name (dbProxyName), in order.
    const byProxy = (resources: PolicyResource[]): Map<string, PolicyResource[]> => {
      const index = new Map<string, PolicyResource[]>();
      for (const r of resources) {
        for (const urn of new Set(dependenciesVia(r, ["dbProxyName"]).map((d) => d.urn))) {
          index.set(urn, [...(index.get(urn) ?? []), r]);
        }
      }
      return index;
    };
    const targetsOf = byProxy(ofType(args.resources, ProxyTarget));
    const targetGroupsOf = byProxy(ofType(args.resources, ProxyDefaultTargetGroup));
    const unbounded = new Set<string>();

    const demandOf = (fns: PolicyResource[], where: string): Demand[] =>
      fns.flatMap((fn) => {
        const reserved = fn.props.reservedConcurrentExecutions;
        if (typeof reserved !== "number" || reserved < 0) {
          if (!unbounded.has(fn.urn)) {
            unbounded.add(fn.urn);
            report(
              `${label("Lambda function", fn)} must set reservedConcurrentExecutions: it reaches ${where}, and unbounded it could open a connection per concurrent runtime, up to the account's concurrency.`,
              fn.urn,
            );
          }
          return [];
        }
        return [{ fn, connections: reserved * cfg.connectionsPerRuntime }];
      });
    const describe = (demands: Demand[]) =>
      demands
        .map(
          (d) =>
            `${label("function", d.fn)} ${d.fn.props.reservedConcurrentExecutions} × ${cfg.connectionsPerRuntime}`,
        )
        .join(" + ");

    for (const db of instances) {
      const dbLabel = label("RDS instance", db);
      const dbGroups = groupKeys(db, "vpcSecurityGroupIds", () => db.props.vpcSecurityGroupIds);
      const direct = reaching(dbGroups);
      const fronting = proxies.filter((proxy) =>
        (targetsOf.get(proxy.urn) ?? []).some(
          (t) =>
            referencedVia(
              t,
              ["dbInstanceIdentifier"],
              [db],
              () =>
                [t.props.dbInstanceIdentifier].filter((v): v is string => typeof v === "string"),
              (v, c) => c.props.identifier === v,
            ).length > 0,
        ),
      );
      const directly = new Set(direct);
      const viaProxy = fronting.map((proxy) => ({
        proxy,
        fns: reaching(
          groupKeys(proxy, "vpcSecurityGroupIds", () => proxy.props.vpcSecurityGroupIds),
        ).filter((fn) => !directly.has(fn)),
      }));
      if (direct.length === 0 && viaProxy.every((p) => p.fns.length === 0)) continue;

      const parameterGroup = parameterGroupsOf(db, ["parameterGroupName"], () =>
        [db.props.parameterGroupName].filter((v): v is string => typeof v === "string"),
      )[0];
      const parameter = (
        (parameterGroup?.props.parameters ?? []) as Array<{ name?: string; value?: string }>
      ).find((p) => p.name === "max_connections")?.value;
      const instanceClass = db.props.instanceClass as string | undefined;
      const max = maxConnectionsOf(instanceClass, parameter);
      if (max === undefined) {
        report(
          `${dbLabel} must have a known max_connections: set max_connections in its parameter group (instance class ${instanceClass ?? "unset"} is not in the pack's table of classes).`,
          db.urn,
        );
        continue;
      }
      const source =
        parameter !== undefined && /^\s*\d+\s*$/.test(parameter)
          ? `max_connections ${max} (parameter group)`
          : `max_connections ~${max} (estimated from ${instanceClass}'s ${instanceClassMemoryGiB(instanceClass ?? "")} GiB)`;

      const directDemand = demandOf(direct, dbLabel);
      let proxyShare = 0;
      for (const { proxy, fns } of viaProxy) {
        const group = targetGroupsOf.get(proxy.urn)?.[0];
        const percent =
          (group?.props.connectionPoolConfig as { maxConnectionsPercent?: number } | undefined)
            ?.maxConnectionsPercent ?? 100;
        const limit = proxyConnectionLimit(max, percent);
        proxyShare += limit;
        const demand = demandOf(fns, label("RDS Proxy", proxy));
        const needed = demand.reduce((n, d) => n + d.connections, 0);
        const capacity = Math.floor(limit * cfg.proxyRuntimesPerConnection);
        if (demand.length > 0 && needed > capacity) {
          report(
            `${label("RDS Proxy", proxy)} must be able to serve the runtimes that reach it: ${describe(demand)} = ${needed} > its ${limit} connections (${percent} % of ${source}) × ${cfg.proxyRuntimesPerConnection} runtimes each; lower the reserved concurrency or choose a larger instance class.`,
            proxy.urn,
          );
        }
      }
      const needed =
        directDemand.reduce((n, d) => n + d.connections, 0) + proxyShare + cfg.reservedConnections;
      if (needed > max) {
        const parts = [
          directDemand.length > 0 ? describe(directDemand) : undefined,
          proxyShare > 0 ? `${proxyShare} for RDS Proxy` : undefined,
          `${cfg.reservedConnections} reserved`,
        ].filter(Boolean);
        report(
          `${dbLabel} must admit the connections of the functions that reach it: ${parts.join(" + ")} = ${needed} > ${source}; lower the reserved concurrency, choose a larger instance class, or put RDS Proxy in front.`,
          db.urn,
        );
      }
    }
  },
};
