import type { CapturedResource, ProgramRun } from "../preview/run-program";
import type { CostAssumptions, ResolvedAssumptions } from "./assumptions";
import {
  HOURS_PER_MONTH,
  PRICE_REGION,
  PRICES,
  PRICES_AS_OF,
  type PriceKey,
  RDS_INSTANCE_CLASSES,
  RDS_INSTANCE_SOURCE,
} from "./prices";

const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

export interface LineItem {
  service: string;
  item: string;
  quantity: number;
  unit: string;
  unitUsd: number;
  monthlyUsd: number;
  /** False when a price in the computation is not re-confirmed (see prices.ts). */
  confirmed: boolean;
  /** Logical names of the resources behind the line. */
  resources: string[];
  note?: string;
}

export interface UnpricedResource {
  type: string;
  name: string;
  reason: string;
}

export interface FreeResourceGroup {
  type: string;
  count: number;
  reason: string;
}

export interface CostReport {
  project: string;
  stack: string;
  priceRegion: string;
  pricesAsOf: string;
  currency: "USD";
  lineItems: LineItem[];
  totalMonthlyUsd: number;
  notPriced: UnpricedResource[];
  free: FreeResourceGroup[];
  assumptions: CostAssumptions;
  assumptionsOverridden: string[];
  assumptionsSource: string;
  notes: string[];
}

/**
 * Types with no charge of their own, or whose cost is carried by another line item.
 * Anything neither priced nor listed here is reported as "not priced", never dropped.
 */
const FREE_TYPES: Record<string, string> = {
  "aws:iam/role:Role": "IAM has no charge",
  "aws:iam/policy:Policy": "IAM has no charge",
  "aws:iam/rolePolicy:RolePolicy": "IAM has no charge",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM has no charge",
  "aws:kms/alias:Alias": "aliases have no charge",
  "aws:kms/keyPolicy:KeyPolicy": "key policies have no charge",
  "aws:lambda/permission:Permission": "no charge",
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": "no charge",
  "aws:lambda/invocation:Invocation": "its invocations are in the Lambda line (other invocations)",
  "aws:lambda/layerVersion:LayerVersion":
    "code storage has no charge up to the 75 GB account quota",
  "aws:sns/topicPolicy:TopicPolicy": "no charge",
  "aws:sns/topicSubscription:TopicSubscription": "deliveries are in the SNS line",
  "aws:sqs/queuePolicy:QueuePolicy": "no charge",
  "aws:sqs/redrivePolicy:RedrivePolicy": "no charge",
  "aws:cloudwatch/logGroup:LogGroup": "ingestion and storage are in the CloudWatch Logs lines",
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "no charge",
  "aws:cloudwatch/eventRule:EventRule": PRICES.eventBridgeRule.note ?? "no charge",
  "aws:cloudwatch/eventTarget:EventTarget": "no charge",
  "aws:xray/samplingRule:SamplingRule": "traces are in the X-Ray line",
  "aws:apigateway/account:Account": "no charge",
  "aws:apigateway/resource:Resource": "requests are in the API Gateway line",
  "aws:apigateway/method:Method": "requests are in the API Gateway line",
  "aws:apigateway/methodSettings:MethodSettings": "no charge",
  "aws:apigateway/methodResponse:MethodResponse": "no charge",
  "aws:apigateway/integration:Integration": "requests are in the API Gateway line",
  "aws:apigateway/integrationResponse:IntegrationResponse": "no charge",
  "aws:apigateway/deployment:Deployment": "no charge",
  "aws:apigateway/stage:Stage": "requests are in the API Gateway line (no cache cluster)",
  "aws:apigateway/restApiPolicy:RestApiPolicy": "no charge",
  "aws:apigatewayv2/stage:Stage": "requests are in the API Gateway line",
  "aws:apigatewayv2/integration:Integration": "requests are in the API Gateway line",
  "aws:apigatewayv2/route:Route": "requests are in the API Gateway line",
  "aws:ec2/vpc:Vpc": "no charge",
  "aws:ec2/subnet:Subnet": "no charge",
  "aws:ec2/routeTable:RouteTable": "no charge",
  "aws:ec2/routeTableAssociation:RouteTableAssociation": "no charge",
  "aws:ec2/route:Route": "no charge",
  "aws:ec2/internetGateway:InternetGateway": "no charge",
  "aws:ec2/securityGroup:SecurityGroup": "no charge",
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "no charge",
  "aws:ec2/securityGroupRule:SecurityGroupRule": "no charge",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "no charge",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "no charge",
  "aws:rds/subnetGroup:SubnetGroup": "no charge",
  "aws:rds/parameterGroup:ParameterGroup": "no charge",
  "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": "priced with its proxy",
  "aws:rds/proxyTarget:ProxyTarget": "priced with its proxy",
  "aws:secretsmanager/secretVersion:SecretVersion": "versions are included in the secret price",
  "aws:secretsmanager/secretPolicy:SecretPolicy": "no charge",
  "aws:serverlessrepository/cloudFormationStack:CloudFormationStack":
    "CloudFormation has no charge for AWS resource types; the rotation function it deploys is in the rotations line",
};

/** How a value unknown at preview reads in a run's plain values (see `toPlain`). */
const UNKNOWN_PLAIN = "[unknown]";

/**
 * A resource property as the provider would report it (outputs fill in autonamed names);
 * undefined while it is unknown (a first deploy's ARNs, ids, URLs).
 */
function prop(r: CapturedResource, key: string): unknown {
  const value = r.outputs[key] ?? r.inputs[key];
  return value === UNKNOWN_PLAIN ? undefined : value;
}

function num(value: unknown, fallback: number): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : fallback;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Expected firings per month of an EventBridge `rate(...)` or `cron(...)` expression. */
export function schedulePerMonth(expression: string): number | undefined {
  const rate = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(
    expression.trim(),
  );
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] ?? "";
    const minutes = unit.startsWith("minute") ? n : unit.startsWith("hour") ? n * 60 : n * 1440;
    return (HOURS_PER_MONTH * 60) / minutes;
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (!cron) return undefined;
  const fields = (cron[1] ?? "").trim().split(/\s+/);
  if (fields.length !== 6) return undefined;
  const [min, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
  const count = (field: string, lo: number, hi: number): number => {
    if (field === "*" || field === "?") return hi - lo + 1;
    let total = 0;
    for (const part of field.split(",")) {
      const [range = "", stepText] = part.split("/");
      const step = stepText ? Number(stepText) : 1;
      const toNum = (s: string) => {
        const i = days.indexOf(s.toUpperCase());
        return i >= 0 ? i + 1 : Number.parseInt(s, 10);
      };
      let a: number;
      let b: number;
      if (range === "*") [a, b] = [lo, hi];
      else if (range.includes("-")) {
        const [x = "", y = ""] = range.split("-");
        [a, b] = [toNum(x), toNum(y)];
      } else {
        a = toNum(range);
        b = stepText ? hi : a;
      }
      if (!Number.isFinite(a) || !Number.isFinite(b)) total += 1;
      else total += Math.floor((b - a) / step) + 1;
    }
    return total;
  };
  const perDay = count(min, 0, 59) * count(hour, 0, 23);
  const daysPerMonth =
    dom === "?"
      ? (count(dow, 1, 7) * DAYS_PER_MONTH) / 7
      : dom === "*"
        ? DAYS_PER_MONTH
        : count(dom, 1, 31);
  return perDay * daysPerMonth * (count(month, 1, 12) / 12);
}

/** Traces recorded per month for uniform traffic under a reservoir (per second) + fixed rate. */
export function tracesPerMonth(
  requests: number,
  reservoirPerSecond: number,
  fixedRate: number,
): number {
  const perSecond = requests / SECONDS_PER_MONTH;
  const traced =
    Math.min(perSecond, reservoirPerSecond) +
    fixedRate * Math.max(0, perSecond - reservoirPerSecond);
  return traced * SECONDS_PER_MONTH;
}

/** API Gateway REST request price tiers (per million): 333M, next 667M, next 19B, over 20B. */
export function restApiRequestsUsd(requests: number): number {
  const tiers: Array<[number, number]> = [
    [333e6, 3.5],
    [667e6, 2.8],
    [19e9, 2.38],
    [Number.POSITIVE_INFINITY, 1.51],
  ];
  let left = requests;
  let usd = 0;
  for (const [size, perMillion] of tiers) {
    const n = Math.min(left, size);
    usd += (n / 1e6) * perMillion;
    left -= n;
    if (left <= 0) break;
  }
  return usd;
}

type FunctionRole = "api" | "scheduled" | "other";

interface FunctionUse {
  resource: CapturedResource;
  role: FunctionRole;
  invocations: number;
  avgDurationMs: number;
}

/** Which functions serve API requests, which run on a schedule, and how often. */
function classifyFunctions(resources: CapturedResource[], a: CostAssumptions): FunctionUse[] {
  const functions = resources.filter((r) => r.type === "aws:lambda/function:Function");
  const refsOf = (fn: CapturedResource) =>
    [
      prop(fn, "name"),
      prop(fn, "arn"),
      prop(fn, "invokeArn"),
      prop(fn, "qualifiedArn"),
      fn.urn,
    ].filter((v): v is string => typeof v === "string" && v !== "");
  const mentions = (value: unknown, fn: CapturedResource) =>
    typeof value === "string" &&
    value !== UNKNOWN_PLAIN &&
    refsOf(fn).some((ref) => value === ref || value.includes(ref));
  // On a first deploy ARNs are unknown at preview: the property's dependency names the function.
  const links = (r: CapturedResource, property: string, fn: CapturedResource) =>
    (r.propertyDependencies[property] ?? []).includes(fn.urn) ||
    mentions((r.inputs[property] as { arn?: unknown } | undefined)?.arn ?? r.inputs[property], fn);

  const rulesByName = new Map<string, CapturedResource>();
  for (const r of resources) {
    if (r.type === "aws:cloudwatch/eventRule:EventRule") {
      for (const key of [prop(r, "name"), prop(r, "arn"), r.urn]) {
        if (typeof key === "string") rulesByName.set(key, r);
      }
    }
  }

  const apiFunctions = functions.filter((fn) =>
    resources.some(
      (r) =>
        (r.type === "aws:lambda/permission:Permission" &&
          r.inputs.principal === "apigateway.amazonaws.com" &&
          links(r, "function", fn)) ||
        (r.type === "aws:apigateway/integration:Integration" && links(r, "uri", fn)) ||
        (r.type === "aws:apigatewayv2/integration:Integration" && links(r, "integrationUri", fn)),
    ),
  );
  return functions.map((fn) => {
    if (apiFunctions.includes(fn)) {
      // Requests are spread over the API functions; with one API function it gets them all.
      return {
        resource: fn,
        role: "api" as const,
        invocations: a.requestsPerMonth / apiFunctions.length,
        avgDurationMs: a.apiAvgDurationMs,
      };
    }
    let scheduled = 0;
    for (const r of resources) {
      if (r.type === "aws:cloudwatch/eventTarget:EventTarget" && links(r, "arn", fn)) {
        const ruleUrn = (r.propertyDependencies.rule ?? [])[0];
        const rule = rulesByName.get(ruleUrn ?? "") ?? rulesByName.get(String(r.inputs.rule));
        const expr = rule ? prop(rule, "scheduleExpression") : undefined;
        if (typeof expr === "string") scheduled += schedulePerMonth(expr) ?? 0;
      }
      if (r.type === "aws:scheduler/schedule:Schedule") {
        const expr = prop(r, "scheduleExpression");
        if (links(r, "target", fn) && typeof expr === "string")
          scheduled += schedulePerMonth(expr) ?? 0;
      }
    }
    if (scheduled > 0) {
      return {
        resource: fn,
        role: "scheduled" as const,
        invocations: scheduled,
        avgDurationMs: a.scheduledAvgDurationMs,
      };
    }
    return {
      resource: fn,
      role: "other" as const,
      invocations: a.otherInvocationsPerMonth,
      avgDurationMs: a.otherAvgDurationMs,
    };
  });
}

class Builder {
  readonly items: LineItem[] = [];

  add(
    service: string,
    item: string,
    quantity: number,
    unit: string,
    unitUsd: number,
    resources: CapturedResource[],
    options: { confirmed?: boolean; note?: string; monthlyUsd?: number } = {},
  ): void {
    this.items.push({
      service,
      item,
      quantity,
      unit,
      unitUsd,
      monthlyUsd: options.monthlyUsd ?? quantity * unitUsd,
      confirmed: options.confirmed ?? true,
      resources: resources.map((r) => r.name),
      note: options.note,
    });
  }

  price(
    service: string,
    item: string,
    quantity: number,
    key: PriceKey,
    resources: CapturedResource[],
    note?: string,
  ): void {
    const p = PRICES[key];
    this.add(service, item, quantity, p.unit, p.usd, resources, { confirmed: p.confirmed, note });
  }
}

/**
 * Estimates the monthly bill of the resources a program registered, from the dated price
 * table and the usage assumptions. An estimate, not a quote: account-wide free tiers,
 * data transfer and taxes are left out (and listed in the notes).
 */
export function estimateCost(
  run: ProgramRun,
  resolved: ResolvedAssumptions,
  stackRegion = PRICE_REGION,
): CostReport {
  const a = resolved.values;
  const b = new Builder();
  const notes: string[] = [];
  if (stackRegion !== PRICE_REGION) {
    notes.push(
      `The stack deploys to ${stackRegion}; the prices are ${PRICE_REGION} list prices, and most other regions cost more.`,
    );
  }
  const notPriced: UnpricedResource[] = [];
  const handled = new Set<string>();
  const custom = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:"));
  const ofType = (type: string) => {
    const list = custom.filter((r) => r.type === type);
    for (const r of list) handled.add(r.urn);
    return list;
  };
  const names = (list: CapturedResource[]) =>
    list.length <= 3 ? list.map((r) => r.name).join(", ") : `${list.length} resources`;

  // KMS
  const keys = ofType("aws:kms/key:Key");
  if (keys.length) {
    b.price(
      "KMS",
      `customer-managed keys (${names(keys)})`,
      keys.length,
      "kmsKeyMonth",
      keys,
      PRICES.kmsKeyMonth.note,
    );
    b.price("KMS", "requests (kmsRequestsPerMonth)", a.kmsRequestsPerMonth, "kmsRequest", keys);
  }

  // Secrets Manager
  const secrets = ofType("aws:secretsmanager/secret:Secret");
  const instances = ofType("aws:rds/instance:Instance");
  const managedMasters = instances.filter((r) => prop(r, "manageMasterUserPassword") === true);
  if (secrets.length || managedMasters.length) {
    const label = [
      secrets.length ? `${secrets.length} in the stack` : "",
      managedMasters.length ? `${managedMasters.length} RDS-managed master` : "",
    ]
      .filter(Boolean)
      .join(" + ");
    b.price(
      "Secrets Manager",
      `secrets (${label})`,
      secrets.length + managedMasters.length,
      "secretMonth",
      [...secrets, ...managedMasters],
    );
    b.price(
      "Secrets Manager",
      "API calls (secretsApiCallsPerMonth)",
      a.secretsApiCallsPerMonth,
      "secretsApiCall",
      secrets,
    );
  }
  const rotations = ofType("aws:secretsmanager/secretRotation:SecretRotation");
  if (rotations.length) {
    let perMonth = 0;
    for (const r of rotations) {
      const rules = (prop(r, "rotationRules") ?? {}) as {
        automaticallyAfterDays?: unknown;
        scheduleExpression?: unknown;
      };
      const days = num(rules.automaticallyAfterDays, Number.NaN);
      const fromSchedule =
        typeof rules.scheduleExpression === "string"
          ? schedulePerMonth(rules.scheduleExpression)
          : undefined;
      perMonth +=
        Number.isFinite(days) && days > 0
          ? DAYS_PER_MONTH / days
          : (fromSchedule ?? DAYS_PER_MONTH / 30);
    }
    // Each rotation: four Lambda steps (create/set/test/finish, ~2 s at 128 MB each) and ~10 API calls.
    const perRotation =
      10 * PRICES.secretsApiCall.usd +
      4 * PRICES.lambdaRequest.usd +
      4 * 2 * 0.125 * PRICES.lambdaGbSecondX86.usd;
    b.add(
      "Secrets Manager",
      `rotations (${names(rotations)})`,
      perMonth,
      "rotation",
      perRotation,
      rotations,
      {
        note: "≈ 4 rotation-function invocations and 10 API calls each; RDS-managed master rotation is free",
      },
    );
  }

  // CloudWatch alarms
  const alarms = ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
  if (alarms.length) {
    let standard = 0;
    let highRes = 0;
    let mathAlarms = 0;
    for (const r of alarms) {
      const queries = Array.isArray(prop(r, "metricQueries"))
        ? (prop(r, "metricQueries") as Array<Record<string, unknown>>)
        : [];
      const metricQueries = queries.filter((q) => q.metric !== undefined && q.metric !== null);
      const metrics = queries.length ? Math.max(1, metricQueries.length) : 1;
      if (queries.length) mathAlarms++;
      const periods = queries.length
        ? metricQueries.map((q) => num((q.metric as Record<string, unknown>).period, 60))
        : [num(prop(r, "period"), 60)];
      if (periods.some((p) => p < 60)) highRes += metrics;
      else standard += metrics;
    }
    if (standard) {
      b.price(
        "CloudWatch",
        `alarms: ${alarms.length} alarms (${mathAlarms} metric-math), billed per metric read`,
        standard,
        "alarmMetricStandard",
        alarms,
      );
    }
    if (highRes)
      b.price(
        "CloudWatch",
        "high-resolution alarm metrics",
        highRes,
        "alarmMetricHighResolution",
        alarms,
      );
  }
  const composites = ofType("aws:cloudwatch/compositeAlarm:CompositeAlarm");
  if (composites.length)
    b.price("CloudWatch", "composite alarms", composites.length, "compositeAlarm", composites);
  const dashboards = ofType("aws:cloudwatch/dashboard:Dashboard");
  if (dashboards.length)
    b.price(
      "CloudWatch",
      `dashboards (${names(dashboards)})`,
      dashboards.length,
      "dashboardMonth",
      dashboards,
    );

  // VPC endpoints and NAT
  const endpoints = ofType("aws:ec2/vpcEndpoint:VpcEndpoint");
  const interfaceEndpoints = endpoints.filter(
    (r) => String(prop(r, "vpcEndpointType") ?? "Gateway").toLowerCase() === "interface",
  );
  if (interfaceEndpoints.length) {
    let azHours = 0;
    const services: string[] = [];
    let guessed = false;
    for (const r of interfaceEndpoints) {
      const subnets =
        strings(prop(r, "subnetIds")).length ||
        (Array.isArray(prop(r, "subnetConfigurations"))
          ? (prop(r, "subnetConfigurations") as unknown[]).length
          : 0);
      if (!subnets) guessed = true;
      azHours += Math.max(1, subnets) * HOURS_PER_MONTH;
      services.push(
        String(prop(r, "serviceName") ?? r.name)
          .split(".")
          .pop() ?? r.name,
      );
    }
    b.price(
      "VPC",
      `interface endpoints: ${services.join(", ")}`,
      azHours,
      "interfaceEndpointAzHour",
      interfaceEndpoints,
      guessed
        ? "an endpoint without subnetIds is counted in one AZ"
        : "one ENI per subnet (AZ), billed every hour",
    );
    b.price(
      "VPC",
      "interface endpoint data (vpcEndpointGbPerMonth)",
      a.vpcEndpointGbPerMonth,
      "interfaceEndpointGb",
      interfaceEndpoints,
    );
  }
  const gatewayEndpoints = endpoints.filter((r) => !interfaceEndpoints.includes(r));
  const nats = ofType("aws:ec2/natGateway:NatGateway");
  if (nats.length) {
    b.price(
      "VPC",
      `NAT gateways (${names(nats)})`,
      nats.length * HOURS_PER_MONTH,
      "natGatewayHour",
      nats,
    );
    b.price(
      "VPC",
      "NAT data processed (natGatewayGbPerMonth)",
      a.natGatewayGbPerMonth,
      "natGatewayGb",
      nats,
    );
  }

  // RDS and Performance Insights
  for (const db of instances) {
    const cls = String(prop(db, "instanceClass") ?? "");
    const multiAz = prop(db, "multiAz") === true;
    const copies = multiAz ? 2 : 1;
    const info = RDS_INSTANCE_CLASSES[cls];
    if (!info) {
      notPriced.push({
        type: db.type,
        name: db.name,
        reason: `instance class "${cls || "unset"}" is not in the price table (tools/cost/prices.ts, ${RDS_INSTANCE_SOURCE})`,
      });
    } else {
      b.add(
        "RDS",
        `${db.name}: ${cls} ${multiAz ? "Multi-AZ" : "Single-AZ"}`,
        HOURS_PER_MONTH,
        "instance-hour",
        info.hourly * copies,
        [db],
        {
          confirmed: info.confirmed,
        },
      );
    }
    const storageType = String(prop(db, "storageType") ?? (prop(db, "iops") ? "io1" : "gp2"));
    const gb = num(prop(db, "allocatedStorage"), 0);
    if (storageType === "gp2" || storageType === "gp3") {
      b.add(
        "RDS",
        `${db.name}: ${gb} GB ${storageType} storage${multiAz ? " (Multi-AZ)" : ""}`,
        gb,
        "GB-month",
        PRICES.rdsGp3GbMonth.usd * copies,
        [db],
      );
      if (storageType === "gp3") {
        const baseIops = gb >= 400 ? 12_000 : 3_000;
        const baseThroughput = gb >= 400 ? 500 : 125;
        const extraIops = Math.max(0, num(prop(db, "iops"), baseIops) - baseIops);
        const extraTp = Math.max(
          0,
          num(prop(db, "storageThroughput"), baseThroughput) - baseThroughput,
        );
        if (extraIops)
          b.add(
            "RDS",
            `${db.name}: gp3 IOPS above ${baseIops}`,
            extraIops,
            "IOPS-month",
            PRICES.rdsGp3ExtraIops.usd * copies,
            [db],
          );
        if (extraTp)
          b.add(
            "RDS",
            `${db.name}: gp3 throughput above ${baseThroughput} MiB/s`,
            extraTp,
            "MiB/s-month",
            PRICES.rdsGp3ExtraThroughput.usd * copies,
            [db],
            { confirmed: false },
          );
      }
    } else if (storageType === "io1" || storageType === "io2") {
      b.add(
        "RDS",
        `${db.name}: ${gb} GB ${storageType} storage`,
        gb,
        "GB-month",
        PRICES.rdsIo1GbMonth.usd * copies,
        [db],
        { confirmed: false },
      );
      b.add(
        "RDS",
        `${db.name}: provisioned IOPS`,
        num(prop(db, "iops"), 0),
        "IOPS-month",
        PRICES.rdsIo1Iops.usd * copies,
        [db],
        { confirmed: false },
      );
    } else {
      notPriced.push({
        type: db.type,
        name: db.name,
        reason: `storage type "${storageType}" is not in the price table`,
      });
    }
    if (prop(db, "performanceInsightsEnabled") === true) {
      const retention = num(prop(db, "performanceInsightsRetentionPeriod"), 7);
      if (retention <= 7) {
        b.add(
          "RDS",
          `${db.name}: Performance Insights, 7-day retention (free tier)`,
          1,
          "instance",
          0,
          [db],
        );
      } else if (!info) {
        notPriced.push({
          type: db.type,
          name: `${db.name} (Performance Insights)`,
          reason: `vCPU count of "${cls}" unknown`,
        });
      } else {
        const months = retention >= 731 ? 24 : Math.round(retention / 31);
        const vcpus = info.vcpus * copies;
        const perVcpu =
          PRICES.performanceInsightsFirstMonth.usd +
          (months - 1) * PRICES.performanceInsightsExtraMonth.usd;
        b.add(
          "RDS",
          `${db.name}: Performance Insights, ${months}-month retention (${vcpus} vCPU)`,
          vcpus,
          "vCPU-month",
          perVcpu,
          [db],
          {
            confirmed: false,
            note: PRICES.performanceInsightsFirstMonth.note,
          },
        );
      }
    }
    if (prop(db, "databaseInsightsMode") === "advanced") {
      notPriced.push({
        type: db.type,
        name: `${db.name} (Database Insights advanced)`,
        reason: "billed per vCPU-hour by CloudWatch; not in the table",
      });
    }
  }
  // RDS Proxy: per vCPU-hour of the instance it fronts (at least 2 vCPUs).
  const proxyTargets = ofType("aws:rds/proxyTarget:ProxyTarget");
  for (const proxy of ofType("aws:rds/proxy:Proxy")) {
    const proxyName = prop(proxy, "name");
    const target = proxyTargets.find((t) => prop(t, "dbProxyName") === proxyName);
    const db = instances.find(
      (i) => target && prop(i, "identifier") === prop(target, "dbInstanceIdentifier"),
    );
    const cls = db ? String(prop(db, "instanceClass") ?? "") : "";
    const info = RDS_INSTANCE_CLASSES[cls];
    if (!info) {
      notPriced.push({
        type: proxy.type,
        name: proxy.name,
        reason: `the vCPUs of its target ("${cls || "not found"}") are not in the price table`,
      });
      continue;
    }
    const vcpus = Math.max(2, info.vcpus);
    b.add(
      "RDS",
      `${proxy.name}: RDS Proxy in front of ${cls} (${vcpus} vCPU)`,
      vcpus * HOURS_PER_MONTH,
      "vCPU-hour",
      PRICES.rdsProxyVcpuHour.usd,
      [proxy],
      { confirmed: false, note: PRICES.rdsProxyVcpuHour.note },
    );
  }
  if (instances.length) {
    notes.push(
      "RDS backup storage is free up to the provisioned storage size; manual snapshots beyond it are not counted.",
    );
  }

  // CloudWatch Logs
  const logGroups = ofType("aws:cloudwatch/logGroup:LogGroup");
  const functions = custom.filter((r) => r.type === "aws:lambda/function:Function");
  if (logGroups.length || functions.length) {
    b.price(
      "CloudWatch Logs",
      "ingestion (logIngestGbPerMonth)",
      a.logIngestGbPerMonth,
      "logsIngestGb",
      logGroups,
    );
    const groups = logGroups.length
      ? logGroups.map((g) => num(prop(g, "retentionInDays"), 0))
      : [0];
    const share = a.logIngestGbPerMonth / groups.length;
    let stored = 0;
    const forever = groups.filter((d) => d <= 0).length;
    for (const days of groups) stored += days > 0 ? (share * days) / DAYS_PER_MONTH : share * 12;
    const retentions = [...new Set(groups.filter((d) => d > 0))].sort((x, y) => x - y);
    b.price(
      "CloudWatch Logs",
      `storage at ${retentions.length ? `${retentions.join("/")}-day retention` : "no retention"} (${groups.length} groups, ingestion shared evenly)`,
      stored,
      "logsStorageGbMonth",
      logGroups,
      forever
        ? `${forever} group(s) never expire: shown after 12 months, and still growing`
        : "steady state: one retention period of logs; priced on raw size (AWS bills compressed)",
    );
  }

  // X-Ray
  const uses = classifyFunctions(custom, a);
  for (const fn of functions) handled.add(fn.urn);
  const rules = custom.filter((r) => r.type === "aws:xray/samplingRule:SamplingRule");
  const tracedStages = custom.filter(
    (r) => r.type === "aws:apigateway/stage:Stage" && prop(r, "xrayTracingEnabled") === true,
  );
  const active = (fn: CapturedResource) =>
    (prop(fn, "tracingConfig") as { mode?: unknown } | undefined)?.mode === "Active";
  const rule = [...rules].sort(
    (x, y) => num(prop(x, "priority"), 10_000) - num(prop(y, "priority"), 10_000),
  )[0];
  const apiUses = uses.filter((u) => u.role === "api");
  let traces = 0;
  const traceParts: string[] = [];
  if (tracedStages.length && apiUses.length) {
    const reservoir = rule ? num(prop(rule, "reservoirSize"), 1) : 1;
    const rate = rule ? num(prop(rule, "fixedRate"), 0.05) : 0.05;
    const apiTraces = tracesPerMonth(a.requestsPerMonth, reservoir, rate);
    traces += apiTraces;
    traceParts.push(
      `API ${Math.round(apiTraces).toLocaleString("en-US")} (rule ${rule ? rule.name : "default"}: ${reservoir}/s + ${rate * 100} %)`,
    );
  } else if (apiUses.some((u) => active(u.resource))) {
    const apiTraces = tracesPerMonth(a.requestsPerMonth, 1, 0.05);
    traces += apiTraces;
    traceParts.push(
      `API ${Math.round(apiTraces).toLocaleString("en-US")} (Lambda's fixed 1/s + 5 %: sampling rules do not apply to Lambda-started traces)`,
    );
  }
  const otherTraced = uses.filter((u) => u.role !== "api" && active(u.resource));
  if (otherTraced.length) {
    const n = otherTraced.reduce((sum, u) => sum + tracesPerMonth(u.invocations, 1, 0.05), 0);
    traces += n;
    traceParts.push(`other functions ${Math.round(n).toLocaleString("en-US")}`);
  }
  if (traces > 0 || rules.length) {
    b.price(
      "X-Ray",
      `traces recorded: ${traceParts.join("; ") || "none"}`,
      traces,
      "xrayTraceRecorded",
      [...rules, ...tracedStages],
      "uniform traffic assumed: the per-second reservoir traces everything below its rate",
    );
    if (a.xrayTracesRetrievedPerMonth > 0) {
      b.price(
        "X-Ray",
        "traces retrieved/scanned (xrayTracesRetrievedPerMonth)",
        a.xrayTracesRetrievedPerMonth,
        "xrayTraceRetrieved",
        rules,
      );
    }
  }

  // API Gateway
  const restApis = ofType("aws:apigateway/restApi:RestApi");
  if (restApis.length) {
    const usd = restApiRequestsUsd(a.requestsPerMonth);
    b.add(
      "API Gateway",
      `REST API requests (${names(restApis)})`,
      a.requestsPerMonth,
      "request",
      a.requestsPerMonth ? usd / a.requestsPerMonth : PRICES.apiGatewayRestRequest.usd,
      restApis,
      {
        monthlyUsd: usd,
        note: a.requestsPerMonth > 333e6 ? "tiered above 333 million" : undefined,
      },
    );
  }
  const httpApis = ofType("aws:apigatewayv2/api:Api");
  if (httpApis.length)
    b.price(
      "API Gateway",
      `HTTP/WebSocket API requests (${names(httpApis)})`,
      a.requestsPerMonth,
      "apiGatewayHttpRequest",
      httpApis,
    );
  // Cognito: billed per monthly active user above the account's free 10,000 (Lite tier).
  ofType("aws:cognito/userPoolClient:UserPoolClient");
  ofType("aws:apigateway/authorizer:Authorizer"); // verifying tokens has no charge of its own
  ofType("aws:apigateway/response:Response");
  const pools = ofType("aws:cognito/userPool:UserPool");
  if (pools.length) {
    const billed = Math.max(0, a.monthlyActiveUsers - 10_000);
    b.add(
      "Cognito",
      `monthly active users above the free 10,000 (${names(pools)}; monthlyActiveUsers ${a.monthlyActiveUsers})`,
      billed,
      PRICES.cognitoLiteMau.unit,
      PRICES.cognitoLiteMau.usd,
      pools,
      { confirmed: PRICES.cognitoLiteMau.confirmed, note: PRICES.cognitoLiteMau.note },
    );
  }
  // WAF: per web ACL, per rule, per request inspected (every API request passes the ACL).
  ofType("aws:wafv2/webAclAssociation:WebAclAssociation");
  ofType("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration");
  const acls = ofType("aws:wafv2/webAcl:WebAcl");
  if (acls.length) {
    b.price("WAF", `web ACLs (${names(acls)})`, acls.length, "wafWebAclMonth", acls);
    const rules = acls.reduce(
      (n, acl) =>
        n + (Array.isArray(prop(acl, "rules")) ? (prop(acl, "rules") as unknown[]).length : 0),
      0,
    );
    b.price("WAF", `rules (${rules})`, rules, "wafRuleMonth", acls, PRICES.wafRuleMonth.note);
    b.price("WAF", "requests inspected (requestsPerMonth)", a.requestsPerMonth, "wafRequest", acls);
  }
  for (const stage of custom.filter(
    (r) => r.type === "aws:apigateway/stage:Stage" && prop(r, "cacheClusterEnabled") === true,
  )) {
    notPriced.push({
      type: stage.type,
      name: stage.name,
      reason: "API cache cluster hours are not in the price table",
    });
  }

  // Lambda
  for (const use of uses) {
    const fn = use.resource;
    const arm = strings(prop(fn, "architectures")).includes("arm64");
    const memoryGb = num(prop(fn, "memorySize"), 128) / 1024;
    const gbSeconds = use.invocations * (use.avgDurationMs / 1000) * memoryGb;
    const gbPrice = arm ? PRICES.lambdaGbSecondArm : PRICES.lambdaGbSecondX86;
    const role =
      use.role === "api"
        ? "API"
        : use.role === "scheduled"
          ? "schedule"
          : "otherInvocationsPerMonth";
    b.add(
      "Lambda",
      `${String(prop(fn, "name") ?? fn.name)}: ${Math.round(use.invocations).toLocaleString("en-US")} invocations (${role}) × ${use.avgDurationMs} ms, ${Math.round(memoryGb * 1024)} MB ${arm ? "arm64" : "x86_64"}`,
      gbSeconds,
      gbPrice.unit,
      gbPrice.usd,
      [fn],
      {
        monthlyUsd: gbSeconds * gbPrice.usd + use.invocations * PRICES.lambdaRequest.usd,
        note: "plus $0.20 per million requests",
      },
    );
  }
  for (const pc of ofType("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")) {
    notPriced.push({
      type: pc.type,
      name: pc.name,
      reason: "provisioned concurrency is not in the price table",
    });
  }

  // SNS, SQS
  const topics = ofType("aws:sns/topic:Topic");
  if (topics.length) {
    const emails = custom.filter(
      (r) =>
        r.type === "aws:sns/topicSubscription:TopicSubscription" &&
        String(prop(r, "protocol")).startsWith("email"),
    ).length;
    const perNotification = PRICES.snsPublish.usd + emails * PRICES.snsEmail.usd;
    b.add(
      "SNS",
      `alarm notifications (alarmNotificationsPerMonth) to ${emails} email subscriber(s)`,
      a.alarmNotificationsPerMonth,
      "notification",
      perNotification,
      topics,
    );
  }
  const queues = ofType("aws:sqs/queue:Queue");
  if (queues.length)
    b.price(
      "SQS",
      `requests (sqsRequestsPerMonth) on ${names(queues)}`,
      a.sqsRequestsPerMonth,
      "sqsRequest",
      queues,
    );

  // Everything else: free, or reported as not priced.
  const freeCounts = new Map<string, number>();
  for (const r of gatewayEndpoints)
    freeCounts.set(`${r.type} (Gateway)`, (freeCounts.get(`${r.type} (Gateway)`) ?? 0) + 1);
  for (const r of custom) {
    if (handled.has(r.urn)) continue;
    if (FREE_TYPES[r.type] !== undefined) freeCounts.set(r.type, (freeCounts.get(r.type) ?? 0) + 1);
    else
      notPriced.push({
        type: r.type,
        name: r.name,
        reason: "no price for this resource type in tools/cost/prices.ts",
      });
  }
  const free = [...freeCounts.entries()]
    .map(([type, count]) => ({
      type,
      count,
      reason: type.endsWith("(Gateway)")
        ? "gateway endpoints (S3, DynamoDB) have no charge"
        : (FREE_TYPES[type] ?? ""),
    }))
    .sort((x, y) => x.type.localeCompare(y.type));

  notes.push(
    "Account-wide free tiers (Lambda 1M requests + 400,000 GB-s, 10 alarm metrics, 3 dashboards, 5 GB logs, 100,000 traces, 20,000 KMS requests) are not subtracted: they are shared by everything in the account.",
    "Data transfer out to the internet, taxes and support plans are not included.",
  );
  if (b.items.some((i) => !i.confirmed)) {
    notes.push(
      "† marks prices not re-confirmed when the table was dated; see tools/cost/prices.ts for each source.",
    );
  }

  const total = b.items.reduce((sum, i) => sum + i.monthlyUsd, 0);
  return {
    project: run.project,
    stack: run.stack,
    priceRegion: PRICE_REGION,
    pricesAsOf: PRICES_AS_OF,
    currency: "USD",
    lineItems: b.items,
    totalMonthlyUsd: total,
    notPriced,
    free,
    assumptions: a,
    assumptionsOverridden: resolved.overridden,
    assumptionsSource: resolved.source,
    notes,
  };
}
