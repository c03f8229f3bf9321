/**
 * Reading values that may be unknown during preview.
 *
 * On a stack's first `pulumi preview`, every value the provider computes on create (ids, ARNs,
 * endpoints, an unset property the provider fills in) and every input built from one is unknown,
 * and `@pulumi/policy` throws `UnknownValueError` when a policy reads one: the engine then reports
 * the policy as "can't run during preview" (advisory), and a stack policy that cannot run at
 * preview gates nothing, since `pulumi up` runs stack policies after every step. These helpers
 * let a policy decide from what is known instead, and say explicitly what an unknown value means.
 */
import { type PolicyResource, UnknownValueError } from "@pulumi/policy";

/** A value that is unknown during preview: it comes from a resource not created yet. */
export const UNKNOWN_AT_PREVIEW: unique symbol = Symbol("unknown during preview");
export type UnknownAtPreview = typeof UNKNOWN_AT_PREVIEW;

/** `read()`, or `UNKNOWN_AT_PREVIEW` when it reads a value unknown during preview. */
export function readKnown<T>(read: () => T): T | UnknownAtPreview {
  try {
    return read();
  } catch (err) {
    if (err instanceof UnknownValueError) return UNKNOWN_AT_PREVIEW;
    throw err;
  }
}

/** `read()`, or `undefined` when unknown: for literals compared against, never for decisions. */
export function knownOrUndefined<T>(read: () => T): T | undefined {
  const value = readKnown(read);
  return value === UNKNOWN_AT_PREVIEW ? undefined : value;
}

/**
 * A property of a resource's outputs (what stack policies see) that the provider computes when
 * the program leaves it unset. Unknown and linked to no other resource means the program did not
 * set it: `awsDefault` (what AWS does when it is unset) is returned. Unknown and built from
 * another resource's output cannot be decided at preview: the read throws again, and the engine
 * reports that the policy cannot run (which the project's preview and deploy treat as a failure).
 */
export function outputOrAwsDefault<T>(r: PolicyResource, property: string, awsDefault: T): T {
  const value = readKnown(() => r.props[property] as T | undefined);
  if (value !== UNKNOWN_AT_PREVIEW) return value ?? awsDefault;
  if ((r.propertyDependencies[property] ?? []).length === 0) return awsDefault;
  return r.props[property] as T; // Throws UnknownValueError: nothing known decides it.
}
