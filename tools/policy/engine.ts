import {
  AnalyzeRequest,
  AnalyzerPropertyDependencies,
  AnalyzerProviderResource,
  AnalyzerResource,
  AnalyzerResourceOptions,
  AnalyzerStackConfigureRequest,
  AnalyzeStackRequest,
} from "@pulumi/pulumi/proto/analyzer_pb";
import {
  specialResourceSig as RESOURCE_SIG,
  specialSigKey as SIG_KEY,
  unknownValue as UNKNOWN,
} from "@pulumi/pulumi/runtime/rpc";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { type CapturedResource, type ProgramRun, wireValueOf } from "../preview/run-program";
import type { LoadedStackConfig } from "../preview/stack-config";

/**
 * Turns what the program registered under mocks into the requests the Pulumi engine sends an
 * analyzer (pkg/resource/deploy/step_generator.go and sdk/go/common/resource/plugin/
 * analyzer_plugin.go): per resource an `AnalyzeRequest` with its inputs, options and provider;
 * once an `AnalyzeStackRequest` with every resource's outputs, parent and dependencies.
 */

/**
 * The engine marshals properties for analyzers with KeepUnknowns, KeepSecrets and
 * SkipInternalKeys, and without KeepResources: secrets keep their marker, internal `__` keys
 * go, and a resource reference becomes its id (custom resource) or its URN (component).
 */
export function toEngineValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toEngineValue);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (obj[SIG_KEY] === RESOURCE_SIG) {
    if ("id" in obj) return obj.id === "" || obj.id === undefined ? UNKNOWN : obj.id;
    return obj.urn;
  }
  if (obj[SIG_KEY] !== undefined) {
    // Secrets, assets and archives travel as they are, their contents marshalled the same way.
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toEngineValue(v)]));
  }
  return Object.fromEntries(
    Object.entries(obj)
      .filter(([k]) => !k.startsWith("__"))
      .map(([k, v]) => [k, toEngineValue(v)]),
  );
}

const marshalled = new WeakMap<Struct, Struct>();

/** Whether marshalling would change the value: an internal `__` key or a resource reference. */
function needsMarshalling(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(needsMarshalling);
  if (value === null || typeof value !== "object") return false;
  const obj = value as Record<string, unknown>;
  if (obj[SIG_KEY] === RESOURCE_SIG) return true;
  for (const [k, v] of Object.entries(obj)) {
    if (k.startsWith("__") || needsMarshalling(v)) return true;
  }
  return false;
}

/**
 * Marshalled once per Struct: a provider's inputs travel with every resource that uses it.
 * Most registrations are already in the engine's form; those are passed on as they are, which
 * spares re-encoding every resource's properties.
 */
function engineStruct(struct: Struct | undefined): Struct {
  if (!struct) return new Struct();
  let result = marshalled.get(struct);
  if (!result) {
    const plain = wireValueOf(struct);
    result = needsMarshalling(plain)
      ? Struct.fromJavaScript(toEngineValue(plain) as Record<string, never>)
      : struct;
    marshalled.set(struct, result);
  }
  return result;
}

/** Go duration (`5m`, `1h30m`, `90s`) → seconds, as the engine stores custom timeouts. */
export function durationSeconds(duration: string): number {
  if (!duration) return 0;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  for (const m of duration.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g))
    total += Number(m[1]) * units[m[2]];
  return total;
}

function resourceOptions(r: CapturedResource): AnalyzerResourceOptions {
  const opts = new AnalyzerResourceOptions();
  opts.setProtect(r.options.protect);
  opts.setIgnorechangesList(r.options.ignoreChanges);
  opts.setDeletebeforereplace(r.options.deleteBeforeReplace === true);
  opts.setDeletebeforereplacedefined(r.options.deleteBeforeReplace === true);
  opts.setAdditionalsecretoutputsList(r.options.additionalSecretOutputs);
  opts.setAliasesList(r.options.aliases);
  const timeouts = new AnalyzerResourceOptions.CustomTimeouts();
  timeouts.setCreate(durationSeconds(r.options.customTimeouts?.create ?? ""));
  timeouts.setUpdate(durationSeconds(r.options.customTimeouts?.update ?? ""));
  timeouts.setDelete(durationSeconds(r.options.customTimeouts?.delete ?? ""));
  opts.setCustomtimeouts(timeouts);
  if (r.parent) opts.setParent(r.parent);
  return opts;
}

/** A provider as the engine describes it to analyzers: its URN, type, name and inputs. */
export interface ProviderInfo {
  urn: string;
  type: string;
  name: string;
  inputs: Struct;
}

/** `aws:lambda/function:Function` → `aws`; undefined for `pulumi:` and component types. */
function packageOf(r: CapturedResource): string | undefined {
  if (!r.custom) return undefined;
  const pkg = r.type.split(":")[0];
  return pkg === "pulumi" ? undefined : pkg;
}

function packageVersion(pkg: string): string {
  try {
    return (require(`@pulumi/${pkg}/package.json`) as { version: string }).version.replace(
      /^v/,
      "",
    );
  } catch {
    return "0.0.0"; // A package without an npm SDK here: the version only names the provider.
  }
}

/**
 * The default provider the engine would create for a package: `default_<version>` under
 * `pulumi:providers:<pkg>`, its inputs the stack's `<pkg>:*` config (e.g. `aws:region`) plus
 * the plugin version. Under mocks a resource on the default provider has no provider reference.
 */
export function defaultProvider(
  pkg: string,
  stackConfig: Pick<LoadedStackConfig, "project" | "stack" | "config">,
): ProviderInfo {
  const version = packageVersion(pkg);
  const name = `default_${version.replace(/[.-]/g, "_")}`;
  const inputs: Record<string, string> = { version };
  for (const [key, value] of Object.entries(stackConfig.config)) {
    if (key.startsWith(`${pkg}:`)) inputs[key.slice(pkg.length + 1)] = value;
  }
  return {
    urn: `urn:pulumi:${stackConfig.stack}::${stackConfig.project}::pulumi:providers:${pkg}::${name}`,
    type: `pulumi:providers:${pkg}`,
    name,
    inputs: Struct.fromJavaScript(inputs),
  };
}

function providerMessage(p: ProviderInfo): AnalyzerProviderResource {
  const msg = new AnalyzerProviderResource();
  msg.setUrn(p.urn);
  msg.setType(p.type);
  msg.setName(p.name);
  msg.setProperties(engineStruct(p.inputs));
  return msg;
}

export interface EngineRequests {
  /** One per resource, in registration order (default providers first, as the engine registers them). */
  analyze: AnalyzeRequest[];
  stack: AnalyzeStackRequest;
  configureStack: AnalyzerStackConfigureRequest;
}

/** A registered resource, or a synthesized default provider, as the analyzer sees it. */
interface EngineResource {
  urn: string;
  type: string;
  name: string;
  inputs: Struct;
  outputs: Struct;
  options: AnalyzerResourceOptions;
  provider?: ProviderInfo;
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
}

export function buildEngineRequests(
  run: ProgramRun,
  stackConfig: Pick<LoadedStackConfig, "project" | "stack" | "config" | "secretKeys">,
): EngineRequests {
  const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
  const defaults = new Map<string, ProviderInfo>();
  const resources: EngineResource[] = [];

  const providerFor = (r: CapturedResource): ProviderInfo | undefined => {
    if (r.provider) {
      const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
      const explicit = byUrn.get(urn);
      if (explicit) {
        return { urn, type: explicit.type, name: explicit.name, inputs: explicit.inputsStruct };
      }
    }
    const pkg = packageOf(r);
    if (pkg === undefined) return undefined;
    let provider = defaults.get(pkg);
    if (!provider) {
      provider = defaultProvider(pkg, stackConfig);
      defaults.set(pkg, provider);
      const noOptions = new AnalyzerResourceOptions();
      noOptions.setCustomtimeouts(new AnalyzerResourceOptions.CustomTimeouts());
      resources.push({
        urn: provider.urn,
        type: provider.type,
        name: provider.name,
        inputs: provider.inputs,
        outputs: provider.inputs,
        options: noOptions,
        parent: "",
        dependencies: [],
        propertyDependencies: {},
      });
    }
    return provider;
  };

  for (const r of run.resources) {
    const provider = r.type.startsWith("pulumi:providers:") ? undefined : providerFor(r);
    resources.push({
      urn: r.urn,
      type: r.type,
      name: r.name,
      inputs: r.inputsStruct,
      // A component that registered no outputs has none.
      outputs: r.outputsStruct ?? new Struct(),
      options: resourceOptions(r),
      provider,
      parent: r.parent,
      dependencies: r.dependencies,
      propertyDependencies: r.propertyDependencies,
    });
  }

  const analyze = resources.map((r) => {
    const req = new AnalyzeRequest();
    req.setUrn(r.urn);
    req.setType(r.type);
    req.setName(r.name);
    req.setProperties(engineStruct(r.inputs));
    req.setOptions(r.options);
    if (r.provider) req.setProvider(providerMessage(r.provider));
    return req;
  });

  const stack = new AnalyzeStackRequest();
  stack.setResourcesList(
    resources.map((r) => {
      const msg = new AnalyzerResource();
      msg.setUrn(r.urn);
      msg.setType(r.type);
      msg.setName(r.name);
      msg.setProperties(engineStruct(r.outputs));
      msg.setOptions(r.options);
      if (r.provider) msg.setProvider(providerMessage(r.provider));
      msg.setParent(r.parent);
      msg.setDependenciesList(r.dependencies);
      const deps = msg.getPropertydependenciesMap();
      for (const [key, urns] of Object.entries(r.propertyDependencies)) {
        // The engine leaves out properties without dependencies.
        if (urns.length === 0) continue;
        const d = new AnalyzerPropertyDependencies();
        d.setUrnsList(urns);
        deps.set(key, d);
      }
      return msg;
    }),
  );

  const configureStack = new AnalyzerStackConfigureRequest();
  configureStack.setStack(stackConfig.stack);
  configureStack.setProject(stackConfig.project);
  configureStack.setDryRun(true);
  const config = configureStack.getConfigMap();
  for (const [k, v] of Object.entries(stackConfig.config)) config.set(k, v);
  configureStack.setConfigSecretKeysList(stackConfig.secretKeys);
  const tags = configureStack.getTagsMap();
  tags.set("pulumi:project", stackConfig.project);
  tags.set("pulumi:runtime", "nodejs");

  return { analyze, stack, configureStack };
}
