import type { PolicyResource } from "@pulumi/policy";
import type { Resource } from "@pulumi/pulumi";
import { knownOrUndefined } from "./known";

/**
 * How stack policies find which resource points at which.
 *
 * On a first real `pulumi preview`, names and ARNs of resources about to be created are
 * unknown, and reading one throws `UnknownValueError` (the engine then reports that the policy
 * cannot run during preview). The links are therefore taken from the engine's property
 * dependencies first: an alarm whose `dimensions` were built from `fn.name` depends on `fn`
 * whatever the name turns out to be. Literal values are compared only when a property has no
 * dependencies, which means it was written in the program and is known.
 */

type ResourceClass = { new (...rest: never[]): Resource };

export function ofType(resources: PolicyResource[], cls: ResourceClass): PolicyResource[] {
  return resources.filter((r) => r.isType(cls as never));
}

/** Resources `r` depends on through any of `properties`. */
export function dependenciesVia(r: PolicyResource, properties: string[]): PolicyResource[] {
  return properties.flatMap((p) => r.propertyDependencies[p] ?? []);
}

/** True when `r` took one of `properties` from `target`. */
export function dependsVia(
  r: PolicyResource,
  properties: string[],
  target: PolicyResource,
): boolean {
  return dependenciesVia(r, properties).some((d) => d.urn === target.urn);
}

/** True when none of `properties` came from another resource, so their values are literals. */
export function isLiteral(r: PolicyResource, properties: string[]): boolean {
  return dependenciesVia(r, properties).length === 0;
}

/** `Lambda function "api"`: how messages name a resource (its Pulumi logical name). */
export function label(kind: string, r: { name: string }): string {
  return `${kind} "${r.name}"`;
}

/**
 * The resources of type `targetClass` that `r` refers to through `properties`: by dependency,
 * or, for literal values, by `matches(literalValue, candidate)`. A property unknown at preview
 * without dependencies is one the provider computes because the program left it unset: it
 * refers to nothing. Comparing a literal with a candidate's unknown identity cannot be decided at
 * preview: `matches` throws, and the policy reports that it cannot run.
 */
export function referencedVia(
  r: PolicyResource,
  properties: string[],
  candidates: PolicyResource[],
  literalValues: () => string[],
  matches: (value: string, candidate: PolicyResource) => boolean,
): PolicyResource[] {
  const deps = dependenciesVia(r, properties);
  if (deps.length > 0) {
    const urns = new Set(deps.map((d) => d.urn));
    return candidates.filter((c) => urns.has(c.urn));
  }
  const values = knownOrUndefined(literalValues) ?? [];
  if (values.length === 0) return [];
  return candidates.filter((c) => values.some((v) => matches(v, c)));
}

/** `referencedVia` against a fixed list of candidates, indexed once (see `indexReferences`). */
export type ReferenceLookup = (
  r: PolicyResource,
  properties: string[],
  literalValues: () => string[],
) => PolicyResource[];

/**
 * `referencedVia(r, properties, candidates, literalValues, matches)` for many `r`, with the
 * candidates indexed once instead of scanned per resource: by URN for dependencies, and by the
 * identities `keysOf(candidate)` a literal value is compared with (`keyOf(value)`, e.g. the last
 * segment of an ARN). It decides exactly as the scan: candidates in their order, and when a
 * literal has to be compared and some candidate's identity cannot be read at preview, the
 * first such candidate's error is thrown, as the scan throws on reaching it.
 */
export function indexReferences(
  candidates: PolicyResource[],
  keysOf: (candidate: PolicyResource) => unknown[],
  keyOf: (value: string) => unknown = (value) => value,
): ReferenceLookup {
  const position = new Map(candidates.map((c, at) => [c.urn, at]));
  let byKey: Map<unknown, number[]> | undefined;
  let unreadable: { error: unknown } | undefined;
  const keyIndex = (): Map<unknown, number[]> => {
    if (byKey) return byKey;
    byKey = new Map();
    candidates.forEach((c, at) => {
      let keys: unknown[];
      try {
        keys = keysOf(c);
      } catch (error) {
        unreadable ??= { error };
        return;
      }
      for (const key of new Set(keys)) byKey?.set(key, [...(byKey.get(key) ?? []), at]);
    });
    return byKey;
  };
  const inOrder = (at: Iterable<number>): PolicyResource[] =>
    [...new Set(at)].sort((a, b) => a - b).map((i) => candidates[i] as PolicyResource);
  return (r, properties, literalValues) => {
    const deps = dependenciesVia(r, properties);
    if (deps.length > 0) {
      return inOrder(deps.flatMap((d) => position.get(d.urn) ?? []));
    }
    const values = knownOrUndefined(literalValues) ?? [];
    if (values.length === 0 || candidates.length === 0) return [];
    const index = keyIndex();
    if (unreadable) throw unreadable.error;
    return inOrder(values.flatMap((v) => index.get(keyOf(v)) ?? []));
  };
}
