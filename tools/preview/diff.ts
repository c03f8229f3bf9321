/**
 * What a change does: the plan of the change's stack compared with the plan of the same stack
 * at a base git ref, by URN, the way `pulumi preview` against the deployed stack reads it
 * (create, delete, replace, update with the changed input paths), plus the policy findings that
 * are new in the change and the monthly cost delta.
 *
 * Both sides are `--json` documents (the base's comes from the base's own preview command), so
 * the comparison only relies on the document's `resources[].{urn,type,name,custom,inputs}`,
 * `violations` and `cost`, which every version of the preview has printed.
 */
import { UNKNOWN_TEXT } from "./format";

/** One resource as the `--json` document lists it. */
export interface PlanResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, unknown>;
  /** Provider reference; empty or absent: the package's default provider. */
  provider?: string;
  options?: { replaceOnChanges?: string[] };
}

export interface PlanViolation {
  policy: string;
  level: string;
  resource: string;
  message: string;
}

export interface PlanDocument {
  resources: PlanResource[];
  violations?: PlanViolation[];
  cost?: { totalMonthlyUsd: number; lineItems: CostLine[] };
}

export interface CostLine {
  service: string;
  item: string;
  monthlyUsd: number;
  /** What the quantity counts (`GB-second (arm64)`): with `resources`, what identifies a line. */
  unit?: string;
  /** Logical names of the resources priced on the line. */
  resources?: string[];
}

/** One changed input, at a dotted path (`vpcConfig.subnetIds[1]`). Secrets stay "[secret]". */
export interface PropertyChange {
  path: string;
  /** Absent when the property is added. */
  old?: unknown;
  /** Absent when the property is removed. */
  new?: unknown;
}

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  changes: PropertyChange[];
  /** For a replacement: the changed paths that force it. */
  replaceReasons?: string[];
}

export interface PlanDiff {
  /** The base ref as given, and the commit it resolved to. */
  base: { ref: string; commit: string };
  added: Array<{ urn: string; type: string; name: string }>;
  removed: Array<{ urn: string; type: string; name: string }>;
  replaced: ResourceChange[];
  changed: ResourceChange[];
  /** Count of resources whose inputs are identical on both sides. */
  unchanged: number;
  policy: {
    /** Violations of the change that the base did not have (same policy, same resource). */
    new: PlanViolation[];
    /** Violations present on both sides. */
    existing: PlanViolation[];
    /** Violations of the base that the change fixes. */
    resolved: PlanViolation[];
  };
}

/**
 * AWS properties whose change makes the provider replace the resource (ForceNew in the
 * provider's schema), for the types this project declares. The provider's schema is not in the
 * npm package (it ships with the plugin binary, which is not installed offline), so the list is
 * kept here; a resource's own `replaceOnChanges` option is honoured too.
 */
const FORCE_NEW: Record<string, string[]> = {
  "aws:lambda/function:Function": ["name", "packageType"],
  "aws:iam/role:Role": ["name", "namePrefix", "path"],
  "aws:iam/policy:Policy": ["name", "namePrefix", "path"],
  "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
  "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix"],
  "aws:cloudwatch/metricAlarm:MetricAlarm": ["name"],
  "aws:sns/topic:Topic": ["name", "namePrefix", "fifoTopic"],
  "aws:sns/topicSubscription:TopicSubscription": ["topic", "protocol", "endpoint"],
  "aws:sqs/queue:Queue": ["name", "namePrefix", "fifoQueue"],
  "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage", "multiRegion"],
  "aws:kms/alias:Alias": ["name", "namePrefix"],
  "aws:secretsmanager/secret:Secret": ["name", "namePrefix"],
  "aws:rds/instance:Instance": [
    "identifier",
    "identifierPrefix",
    "engine",
    "kmsKeyId",
    "storageEncrypted",
    "username",
    "dbName",
    "availabilityZone",
    "characterSetName",
  ],
  "aws:rds/subnetGroup:SubnetGroup": ["name", "namePrefix"],
  "aws:rds/parameterGroup:ParameterGroup": ["name", "namePrefix", "family"],
  "aws:ec2/vpc:Vpc": ["cidrBlock", "instanceTenancy"],
  "aws:ec2/subnet:Subnet": ["vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"],
  "aws:ec2/securityGroup:SecurityGroup": ["name", "namePrefix", "vpcId", "description"],
  "aws:ec2/vpcEndpoint:VpcEndpoint": ["vpcId", "serviceName", "vpcEndpointType"],
  "aws:apigateway/resource:Resource": ["restApi", "parentId", "pathPart"],
  "aws:apigateway/method:Method": ["restApi", "resourceId", "httpMethod"],
  "aws:apigateway/integration:Integration": ["restApi", "resourceId", "httpMethod"],
  "aws:apigateway/deployment:Deployment": ["restApi", "triggers", "variables"],
  "aws:apigateway/stage:Stage": ["restApi", "stageName"],
  "aws:lambda/permission:Permission": [
    "action",
    "function",
    "principal",
    "sourceArn",
    "statementId",
    "qualifier",
  ],
  "aws:xray/samplingRule:SamplingRule": ["ruleName"],
  "aws:cloudwatch/eventRule:EventRule": ["name", "namePrefix"],
  "aws:cloudwatch/eventTarget:EventTarget": ["rule", "targetId"],
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The input paths that differ, leaf by leaf (arrays element by element). */
export function diffValues(oldValue: unknown, newValue: unknown, at = ""): PropertyChange[] {
  if (same(oldValue, newValue)) return [];
  if (isObject(oldValue) && isObject(newValue)) {
    const keys = [...new Set([...Object.keys(oldValue), ...Object.keys(newValue)])].sort();
    return keys.flatMap((k) => {
      const path = at ? `${at}.${k}` : k;
      if (!(k in oldValue)) return [{ path, new: newValue[k] }];
      if (!(k in newValue)) return [{ path, old: oldValue[k] }];
      return diffValues(oldValue[k], newValue[k], path);
    });
  }
  if (Array.isArray(oldValue) && Array.isArray(newValue) && oldValue.length === newValue.length) {
    return oldValue.flatMap((v, i) => diffValues(v, newValue[i], `${at}[${i}]`));
  }
  return [{ path: at, old: oldValue, new: newValue }];
}

function topLevel(path: string): string {
  return path.split(/[.[]/)[0] ?? path;
}

/**
 * The packages whose default provider the engine would create (`pulumi:providers:aws`): one
 * per package with a custom resource that names no explicit provider. The engine counts them
 * as resources of the plan, and so does the preview.
 */
export function defaultProviderPackages(doc: Pick<PlanDocument, "resources">): string[] {
  const packages = new Set<string>();
  for (const r of doc.resources) {
    if (!r.custom || r.provider || r.type.startsWith("pulumi:")) continue;
    packages.add(r.type.split(":")[0] ?? r.type);
  }
  return [...packages].sort();
}

/** What the engine plans, by URN: every registered resource and the default providers. */
function planned(doc: PlanDocument): Map<string, PlanResource> {
  const byUrn = new Map(doc.resources.map((r) => [r.urn, r]));
  const stack = doc.resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const prefix = stack ? stack.urn.split("::").slice(0, 2).join("::") : "urn:pulumi:";
  for (const pkg of defaultProviderPackages(doc)) {
    const urn = `${prefix}::pulumi:providers:${pkg}::default`;
    byUrn.set(urn, {
      urn,
      type: `pulumi:providers:${pkg}`,
      name: "default",
      custom: true,
      inputs: {},
    });
  }
  return byUrn;
}

function violationKey(v: PlanViolation): string {
  return `${v.policy}\0${v.resource}`;
}

export function diffPlans(
  base: PlanDocument,
  head: PlanDocument,
  ref: { ref: string; commit: string },
): PlanDiff {
  const before = planned(base);
  const after = planned(head);
  const brief = (r: PlanResource) => ({ urn: r.urn, type: r.type, name: r.name });
  const diff: PlanDiff = {
    base: ref,
    added: [],
    removed: [],
    replaced: [],
    changed: [],
    unchanged: 0,
    policy: { new: [], existing: [], resolved: [] },
  };
  for (const [urn, r] of after) {
    const old = before.get(urn);
    if (!old) {
      diff.added.push(brief(r));
      continue;
    }
    const changes = diffValues(old.inputs, r.inputs);
    if (changes.length === 0) {
      diff.unchanged++;
      continue;
    }
    const forceNew = new Set([
      ...(FORCE_NEW[r.type] ?? []),
      ...(r.options?.replaceOnChanges ?? []),
    ]);
    const replaceReasons = changes
      .map((c) => c.path)
      .filter((p) => forceNew.has("*") || forceNew.has(topLevel(p)));
    const change = { ...brief(r), changes };
    if (replaceReasons.length > 0) diff.replaced.push({ ...change, replaceReasons });
    else diff.changed.push(change);
  }
  for (const [urn, r] of before) if (!after.has(urn)) diff.removed.push(brief(r));

  const baseViolations = new Set((base.violations ?? []).map(violationKey));
  const headViolations = new Set((head.violations ?? []).map(violationKey));
  for (const v of head.violations ?? []) {
    (baseViolations.has(violationKey(v)) ? diff.policy.existing : diff.policy.new).push(v);
  }
  diff.policy.resolved = (base.violations ?? []).filter(
    (v) => !headViolations.has(violationKey(v)),
  );
  return diff;
}

export interface CostDelta {
  baseTotalMonthlyUsd: number;
  totalMonthlyUsd: number;
  deltaMonthlyUsd: number;
  /** Line items whose monthly cost differs (absent on one side: 0 there). */
  lines: Array<{ service: string; item: string; baseUsd: number; usd: number; deltaUsd: number }>;
}

const cents = (n: number): number => Math.round(n * 100) / 100;

/**
 * Line items are matched by service and unit (the item's text holds quantities, which is what
 * changes); several lines of one service and unit (one per function) by their resources.
 */
function matchLines(
  base: CostLine[],
  head: CostLine[],
): Array<{ before?: CostLine; after?: CostLine }> {
  const group = (l: CostLine) => `${l.service}\0${l.unit ?? l.item}`;
  const byResources = (l: CostLine) =>
    `${group(l)}\0${[...(l.resources ?? [l.item])].sort().join(",")}`;
  const pairs: Array<{ before?: CostLine; after?: CostLine }> = [];
  const groups = new Map<string, { before: CostLine[]; after: CostLine[] }>();
  for (const l of base) {
    const g = groups.get(group(l)) ?? { before: [], after: [] };
    g.before.push(l);
    groups.set(group(l), g);
  }
  for (const l of head) {
    const g = groups.get(group(l)) ?? { before: [], after: [] };
    g.after.push(l);
    groups.set(group(l), g);
  }
  for (const g of groups.values()) {
    if (g.before.length === 1 && g.after.length === 1) {
      pairs.push({ before: g.before[0], after: g.after[0] });
      continue;
    }
    const rest = new Map(g.before.map((l) => [byResources(l), l]));
    for (const after of g.after) {
      const before = rest.get(byResources(after));
      rest.delete(byResources(after));
      pairs.push({ before, after });
    }
    for (const before of rest.values()) pairs.push({ before });
  }
  return pairs;
}

export function diffCost(
  base: { totalMonthlyUsd: number; lineItems: CostLine[] },
  head: { totalMonthlyUsd: number; lineItems: CostLine[] },
): CostDelta {
  const lines: CostDelta["lines"] = [];
  for (const { before, after } of matchLines(base.lineItems, head.lineItems)) {
    const baseUsd = cents(before?.monthlyUsd ?? 0);
    const usd = cents(after?.monthlyUsd ?? 0);
    if (baseUsd === usd) continue;
    const { service, item } = (after ?? before)!;
    lines.push({ service, item, baseUsd, usd, deltaUsd: cents(usd - baseUsd) });
  }
  lines.sort((x, y) => Math.abs(y.deltaUsd) - Math.abs(x.deltaUsd));
  return {
    baseTotalMonthlyUsd: cents(base.totalMonthlyUsd),
    totalMonthlyUsd: cents(head.totalMonthlyUsd),
    deltaMonthlyUsd: cents(head.totalMonthlyUsd - base.totalMonthlyUsd),
    lines,
  };
}

/** Pulumi's way of showing a value it does not know yet. */
export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN_TEXT;
}

/** What "N resources" means everywhere in the preview: the engine's count of the plan. */
export interface PlanCount {
  /** Stack + program's resources (components included) + default providers. */
  total: number;
  /** Resources the program declared (components and custom resources). */
  declared: number;
  stack: number;
  defaultProviders: string[];
}

export function countPlan(doc: Pick<PlanDocument, "resources">): PlanCount {
  const stack = doc.resources.filter((r) => r.type === "pulumi:pulumi:Stack").length;
  const defaultProviders = defaultProviderPackages(doc);
  return {
    total: doc.resources.length + defaultProviders.length,
    declared: doc.resources.length - stack,
    stack,
    defaultProviders,
  };
}

/** "113 declared by the program, the stack, the default aws provider". */
export function describeCount(count: PlanCount): string {
  const parts = [`${count.declared} declared by the program`];
  if (count.stack) parts.push("the stack");
  for (const p of count.defaultProviders) parts.push(`the default ${p} provider`);
  return parts.join(", ");
}
