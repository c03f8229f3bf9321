import type { PolicyResource } from "@pulumi/policy";
import * as policyLibrary from "@pulumi/policy";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";

/**
 * Reading inputs the way a first `pulumi preview` sends them: values taken from resources not yet
 * created (ids, ARNs, names the provider computes) are unknown, and the engine's proxy throws on
 * reading one. A policy that only needs to know whether a property is *set* must not read it.
 */

/** 1.21 exports the class at run time; its published typings strip it (`@internal`). */
const { UnknownValueError } = policyLibrary as unknown as {
  UnknownValueError: new (...args: never[]) => Error;
};

/**
 * True when the property at `path` is set on `obj` — to a literal, or to a value unknown until the update (a
 * property taken from another resource is set even when its value is not yet known). Reads the
 * property's descriptor, which the engine's proxy (a `get` trap only) does not intercept, so an
 * unknown value never throws here. Empty strings and empty arrays count as unset.
 */
export function isSet(obj: unknown, ...path: string[]): boolean {
  let value: unknown = obj;
  for (const key of path) {
    // A string where an object was expected is the engine's "unknown object": set, not known.
    if (typeof value === "string" && value !== "") return true;
    if (value === null || typeof value !== "object") return false;
    value = Object.getOwnPropertyDescriptor(value, key)?.value;
  }
  if (value === undefined || value === null || value === "") return false;
  return !(Array.isArray(value) && value.length === 0);
}

/** `read()`'s value, or `undefined` when it touches a value unknown until the update. */
export function known<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (err instanceof UnknownValueError) return undefined;
    throw err;
  }
}

/**
 * `isSet` for what stack policies see: a resource's *outputs*. On a first preview a property the
 * program left unset but the provider fills in on create (a queue's `redrivePolicy`, a log group's
 * `kmsKeyId`, a function's `deadLetterConfig`…) is unknown too, so unknown alone does not mean
 * set. Unknown and linked to another resource (the engine's property dependencies) is a value the
 * program took from that resource: set. Unknown and linked to nothing: the program did not set it.
 */
export function isSetOutput(r: PolicyResource, ...path: string[]): boolean {
  const linked = () => (r.propertyDependencies[path[0] ?? ""] ?? []).length > 0;
  let value: unknown = r.props;
  for (const key of path) {
    if (value === unknownValue) return linked();
    if (typeof value === "string" && value !== "") return true;
    if (value === null || typeof value !== "object") return false;
    value = Object.getOwnPropertyDescriptor(value, key)?.value;
  }
  if (value === unknownValue) return linked();
  if (value === undefined || value === null || value === "") return false;
  return !(Array.isArray(value) && value.length === 0);
}
