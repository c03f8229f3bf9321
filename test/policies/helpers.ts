/**
 * awsguard-style helpers for unit-testing policies: validation args built from the real
 * resource class (type token from `__pulumiType`), props behind the library's own
 * `unknownCheckingProxy`, config defaulted from the policy's schema as the engine does, and
 * `notApplicable` that throws like the runtime's.
 */
import * as assert from "node:assert/strict";
import { MetricAlarm } from "@pulumi/aws/cloudwatch/metricAlarm";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import type {
  Policy,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import * as policyLibrary from "@pulumi/policy";
import type { Resource } from "@pulumi/pulumi";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";

/**
 * 1.21 exports these "so policy-pack test helpers can mirror real runtime semantics", but its
 * published typings strip them (`@internal`), hence the explicit types.
 */
const { UnknownValueError, unknownCheckingProxy } = policyLibrary as unknown as {
  UnknownValueError: new (...args: never[]) => Error;
  unknownCheckingProxy<T>(value: T): T;
};

/** A string the engine sends for a value not known until the update (e.g. a new resource's ARN). */
export const UNKNOWN: string = unknownValue;

// biome-ignore lint/suspicious/noExplicitAny: resource classes have varied constructor signatures.
type ResourceClass = { new (name: string, args: any, ...rest: any[]): Resource };

function pulumiType(cls: ResourceClass): string {
  const type = (cls as unknown as { __pulumiType?: string }).__pulumiType;
  if (!type) throw new Error(`${cls.name} has no __pulumiType`);
  return type;
}

function isTypeOf(type: string, cls: { new (...rest: never[]): Resource }): boolean {
  return (cls as unknown as { __pulumiType?: string }).__pulumiType === type;
}

/** What `args.notApplicable(reason)` throws, so a test can see the policy stood down. */
export class NotApplicable extends Error {
  constructor(readonly reason: string | undefined) {
    super(reason ?? "not applicable");
  }
}

/** The engine's config for a policy: schema defaults, then the test's overrides. */
export function policyConfig(
  policy: Policy,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (s.default !== undefined) defaults[k] = s.default;
  }
  return { ...defaults, ...overrides };
}

export function urnOf(type: string, name: string): string {
  return `urn:pulumi:prod::huntaze-api::${type}::${name}`;
}

export function createResourceValidationArgs<T extends ResourceClass>(
  resourceClass: T,
  props: Record<string, unknown>,
  options: { config?: Record<string, unknown>; name?: string; policy?: Policy } = {},
): ResourceValidationArgs {
  const type = pulumiType(resourceClass);
  const name = options.name ?? "test-resource";
  const proxied = unknownCheckingProxy(props) as Record<string, unknown>;
  const config = options.policy
    ? policyConfig(options.policy, options.config)
    : (options.config ?? {});
  return {
    type,
    props: proxied,
    urn: urnOf(type, name),
    name,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      additionalSecretOutputs: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    },
    stackTags: new Map(),
    isType: (cls) => isTypeOf(type, cls),
    asType: ((cls: { new (...rest: never[]): Resource }) =>
      isTypeOf(type, cls) ? proxied : undefined) as ResourceValidationArgs["asType"],
    getConfig: <C extends object>() => config as C,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

export interface PolicyOutcome {
  violations: Array<{ message: string; urn?: string }>;
  notApplicable?: string;
  /**
   * Set when the policy read a value that is unknown until the update: the engine then reports
   * "can't run policy … during preview" (advisory) and keeps what was reported before.
   */
  unknownValue?: string;
}

function settle(err: unknown, violations: PolicyOutcome["violations"]): PolicyOutcome {
  if (err instanceof NotApplicable) return { violations, notApplicable: err.reason ?? "" };
  if (err instanceof UnknownValueError) return { violations, unknownValue: err.message };
  throw err;
}

function collector(violations: PolicyOutcome["violations"]): ReportViolation {
  return (message, urn) => {
    violations.push({ message, urn });
  };
}

export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  args: ResourceValidationArgs,
): Promise<PolicyOutcome> {
  const violations: PolicyOutcome["violations"] = [];
  const validations = [policy.validateResource ?? []].flat();
  try {
    for (const validate of validations) await validate(args, collector(violations));
  } catch (err) {
    return settle(err, violations);
  }
  return { violations };
}

function describe(outcome: PolicyOutcome): string {
  if (outcome.notApplicable !== undefined) return `not applicable: ${outcome.notApplicable}`;
  const lines = outcome.violations.map((v) => `  - ${v.message}`);
  if (outcome.unknownValue) lines.push(`  (then stopped: ${outcome.unknownValue})`);
  return lines.join("\n") || "  (none)";
}

function assertClean(policy: Policy, outcome: PolicyOutcome): void {
  assert.equal(
    outcome.notApplicable,
    undefined,
    `expected ${policy.name} to apply, got ${describe(outcome)}`,
  );
  assert.equal(
    outcome.unknownValue,
    undefined,
    `expected ${policy.name} to run to the end, got ${describe(outcome)}`,
  );
  assert.deepEqual(
    outcome.violations,
    [],
    `expected no violations of ${policy.name}, got:\n${describe(outcome)}`,
  );
}

export async function assertNoResourceViolations(
  policy: ResourceValidationPolicy,
  args: ResourceValidationArgs,
): Promise<void> {
  assertClean(policy, await runResourcePolicy(policy, args));
}

export async function assertHasResourceViolation(
  policy: ResourceValidationPolicy,
  args: ResourceValidationArgs,
  expected: { message: string },
): Promise<void> {
  const outcome = await runResourcePolicy(policy, args);
  assert.ok(
    outcome.violations.some((v) => v.message.includes(expected.message)),
    `expected ${policy.name} to report "${expected.message}", got:\n${describe(outcome)}`,
  );
}

export async function assertResourceNotApplicable(
  policy: ResourceValidationPolicy,
  args: ResourceValidationArgs,
  reason: RegExp,
): Promise<void> {
  const outcome = await runResourcePolicy(policy, args);
  assert.match(
    outcome.notApplicable ?? "",
    reason,
    `expected ${policy.name} to stand down, got:\n${describe(outcome)}`,
  );
}

/**
 * Asserts the policy stops on a value that is unknown until the update (the engine's "can't run
 * policy during preview") instead of guessing; returns what it reported before stopping.
 */
export async function assertNeedsUnknownValue(
  policy: ResourceValidationPolicy | StackValidationPolicy,
  args: ResourceValidationArgs | StackValidationArgs,
): Promise<PolicyOutcome> {
  const outcome =
    "validateStack" in policy
      ? await runStackPolicy(policy, args as StackValidationArgs)
      : await runResourcePolicy(policy as ResourceValidationPolicy, args as ResourceValidationArgs);
  assert.match(
    outcome.unknownValue ?? "",
    /can't be known during preview/,
    `expected ${policy.name} to stop on an unknown value, got:\n${describe(outcome)}`,
  );
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// Stack policies

/** A resource for a stack-policy test; `deps` are the engine's property dependencies. */
export interface StackResourceSpec {
  cls: ResourceClass;
  name: string;
  props: Record<string, unknown>;
  deps?: Record<string, StackResourceSpec[]>;
  /** Dependencies through no property (`dependsOn`): in `dependencies` only. */
  dependsOn?: StackResourceSpec[];
  parent?: StackResourceSpec;
}

export function res(
  cls: ResourceClass,
  name: string,
  props: Record<string, unknown>,
  deps: Record<string, StackResourceSpec[]> = {},
  dependsOn: StackResourceSpec[] = [],
): StackResourceSpec {
  return { cls, name, props, deps, dependsOn };
}

/** A metric alarm on one metric with literal dimensions, notifying `topic`. */
export function alarmSpec(
  topic: string,
  name: string,
  namespace: string,
  metricName: string,
  dimensions: Record<string, string>,
  deps: Record<string, StackResourceSpec[]> = {},
): StackResourceSpec {
  return res(MetricAlarm, name, { alarmActions: [topic], namespace, metricName, dimensions }, deps);
}

/**
 * An ingress rule letting `source`'s security group reach `target`'s on PostgreSQL's port, both
 * groups linked through dependencies (their ids are unknown at preview).
 */
export function postgresIngressSpec(
  name: string,
  target: StackResourceSpec,
  source: StackResourceSpec,
): StackResourceSpec {
  return res(
    SecurityGroupIngressRule,
    name,
    { securityGroupId: UNKNOWN, referencedSecurityGroupId: UNKNOWN, fromPort: 5432 },
    { securityGroupId: [target], referencedSecurityGroupId: [source] },
  );
}

export function createStackValidationArgs(
  specs: StackResourceSpec[],
  options: { config?: Record<string, unknown>; policy?: Policy } = {},
): StackValidationArgs {
  const byName = new Map<StackResourceSpec, PolicyResource>();
  for (const spec of specs) {
    const type = pulumiType(spec.cls);
    const props = unknownCheckingProxy(spec.props) as Record<string, unknown>;
    byName.set(spec, {
      type,
      props,
      urn: urnOf(type, spec.name),
      name: spec.name,
      opts: {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        additionalSecretOutputs: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      },
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(type, cls),
      asType: ((cls: { new (...rest: never[]): Resource }) =>
        isTypeOf(type, cls) ? props : undefined) as PolicyResource["asType"],
    });
  }
  for (const spec of specs) {
    const r = byName.get(spec)!;
    const resolve = (t: StackResourceSpec, via: string) => {
      const target = byName.get(t);
      if (!target)
        throw new Error(`${spec.name}${via} depends on ${t.name}, which is not in the stack`);
      return target;
    };
    for (const [prop, targets] of Object.entries(spec.deps ?? {})) {
      const resolved = targets.map((t) => resolve(t, `.${prop}`));
      r.propertyDependencies[prop] = resolved;
      r.dependencies.push(...resolved);
    }
    r.dependencies.push(...(spec.dependsOn ?? []).map((t) => resolve(t, " (dependsOn)")));
  }
  const config = options.policy
    ? policyConfig(options.policy, options.config)
    : (options.config ?? {});
  return {
    resources: [...byName.values()],
    stackTags: new Map(),
    getConfig: <C extends object>() => config as C,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

export async function runStackPolicy(
  policy: StackValidationPolicy,
  args: StackValidationArgs,
): Promise<PolicyOutcome> {
  const violations: PolicyOutcome["violations"] = [];
  try {
    await policy.validateStack(args, collector(violations));
  } catch (err) {
    return settle(err, violations);
  }
  return { violations };
}

export async function assertNoStackViolations(
  policy: StackValidationPolicy,
  args: StackValidationArgs,
): Promise<void> {
  assertClean(policy, await runStackPolicy(policy, args));
}

export async function assertHasStackViolation(
  policy: StackValidationPolicy,
  args: StackValidationArgs,
  expected: { message: string; resource?: string },
): Promise<void> {
  const outcome = await runStackPolicy(policy, args);
  assert.ok(
    outcome.violations.some(
      (v) =>
        v.message.includes(expected.message) &&
        (expected.resource === undefined || v.urn?.endsWith(`::${expected.resource}`)),
    ),
    `expected ${policy.name} to report "${expected.message}"${expected.resource ? ` on ${expected.resource}` : ""}, got:\n${describe(outcome)}`,
  );
}

export async function assertStackNotApplicable(
  policy: StackValidationPolicy,
  args: StackValidationArgs,
  reason: RegExp,
): Promise<void> {
  const outcome = await runStackPolicy(policy, args);
  assert.match(
    outcome.notApplicable ?? "",
    reason,
    `expected ${policy.name} to stand down, got:\n${describe(outcome)}`,
  );
}
