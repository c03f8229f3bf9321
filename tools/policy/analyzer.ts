import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import type { EnforcementLevel, PolicyPackArgs } from "@pulumi/policy";
import type {
  AnalyzeRequest,
  AnalyzeResponse,
  AnalyzerInfo,
  AnalyzerStackConfigureRequest,
  AnalyzeStackRequest,
  ConfigureAnalyzerRequest,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import type { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { ToolError } from "../lib/errors";
import { wireValueOf } from "../preview/run-program";

/**
 * The Analyzer RPCs the engine calls, one method per RPC. Two implementations: the library's
 * own service handlers driven in-process (`loadInProcessAnalyzer`), and a gRPC client of a pack
 * served the way the CLI serves it (`tools/policy/grpc.ts`). Both take and return the engine's
 * protobuf messages, so the evaluator cannot tell them apart.
 */
export interface AnalyzerTransport {
  getAnalyzerInfo(): Promise<AnalyzerInfo>;
  configureStack(request: AnalyzerStackConfigureRequest): Promise<void>;
  configure(request: ConfigureAnalyzerRequest): Promise<void>;
  analyze(request: AnalyzeRequest): Promise<AnalyzeResponse>;
  analyzeStack(request: AnalyzeStackRequest): Promise<AnalyzeResponse>;
  close(): void;
}

/** What `new PolicyPack(name, args)` would receive, plus the version it reads from package.json. */
export interface PackDefinition {
  name: string;
  version: string;
  enforcementLevel: EnforcementLevel;
  args: PolicyPackArgs;
}

type Handler = (
  call: { request: unknown },
  callback: (err: unknown, resp?: unknown) => void,
) => void;

/** The object `@pulumi/policy/server` registers as the gRPC AnalyzerService implementation. */
interface AnalyzerServiceImpl {
  analyze: Handler;
  analyzeStack: Handler;
  getAnalyzerInfo: Handler;
  configure: Handler;
  configureStack: Handler;
  [rpc: string]: Handler;
}

/**
 * Loads a private copy of `@pulumi/policy/server` and calls its `serve()` exactly as
 * `new PolicyPack(...)` does, with a stand-in for `@grpc/grpc-js` that captures the service
 * implementation instead of binding a port, and a `process` whose `exit` throws.
 *
 * Why a private copy: `serve()` keeps the served pack and its `Configure`d config in module
 * state and refuses a second pack per process; a fresh module instance per evaluation gives each
 * preview its own config and lets tests evaluate many times in one process. Everything the
 * handlers do (type filtering, enforcement levels, config lookup, unknown-value handling) is the
 * library's unchanged code; `./policy`, `./proxy` and the rest are shared with the cached copy.
 */
export function loadAnalyzerService(pack: PackDefinition): AnalyzerServiceImpl {
  const filename = require.resolve("@pulumi/policy/server");
  // biome-ignore lint/suspicious/noExplicitAny: Module's constructor and internals are untyped.
  const ModuleCtor = Module as any;
  const mod = new ModuleCtor(filename, module);
  mod.filename = filename;
  mod.paths = ModuleCtor._nodeModulePaths(path.dirname(filename));

  let service: AnalyzerServiceImpl | undefined;
  const fakeGrpc = {
    Server: class {
      addService(_definition: unknown, implementation: AnalyzerServiceImpl): void {
        service = implementation;
      }
      bindAsync(): void {
        // No port: the handlers are called directly.
      }
    },
    ServerCredentials: { createInsecure: () => ({}) },
  };
  const errors: string[] = [];
  const fakeProcess = {
    exit(code?: number): never {
      throw new ToolError(errors.join("\n") || `policy pack exited with code ${code}`);
    },
  };
  const realRequire = mod.require.bind(mod);
  mod.require = (id: string) =>
    id === "@grpc/grpc-js" ? fakeGrpc : id === "process" ? fakeProcess : realRequire(id);
  mod._compile(fs.readFileSync(filename, "utf8"), filename);

  // serve() reports pack definition errors on console.error, then calls process.exit(1).
  const consoleError = console.error;
  console.error = (...parts: unknown[]) => {
    errors.push(parts.map(String).join(" "));
  };
  try {
    mod.exports.serve(pack.name, pack.version, pack.enforcementLevel, pack.args, undefined);
  } finally {
    console.error = consoleError;
  }
  if (!service) throw new ToolError("the policy library registered no analyzer service");
  return service;
}

function call<T>(handler: Handler, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    handler({ request }, (err, resp) => (err ? reject(toError(err)) : resolve(resp as T)));
  });
}

/** The library reports policy crashes as gRPC errors ({code, details}); keep their text. */
function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  const details = (err as { details?: unknown; message?: unknown }).details;
  return new Error(String(details ?? (err as { message?: unknown }).message ?? err));
}

/**
 * An analysis without JavaScript stack traces, rerun with them when it fails.
 *
 * Why: the library reports a policy that does not apply by throwing an error (`notApplicable`),
 * once per resource and policy that stands down, and a value unknown at preview the same way;
 * capturing a stack trace for each is a few percent of the policy stage on large stacks and
 * nobody reads them. A policy that crashes is reported with its stack trace (the library puts
 * it in the message): the failed request is analyzed again with traces on, and that error is
 * the one reported. Analyses are pure functions of the request and the configured pack.
 */
async function analysis<T>(handler: Handler, request: unknown): Promise<T> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let first: unknown;
  try {
    return await call<T>(handler, request);
  } catch (err) {
    first = err;
  } finally {
    Error.stackTraceLimit = limit;
  }
  await call<T>(handler, request);
  throw first; // Failed only without stack traces: report that failure.
}

/**
 * A stand-in for `message` with the getters of `getters` it has, each reading the message once,
 * the result passed through `wrap` when it names the getter.
 *
 * Why: the library reads every resource of an `AnalyzeStack` request through its protobuf
 * getters once per stack policy (about twenty getters a resource, and a fresh wrapper per
 * property dependency), which the in-process driver can answer from values read once. The
 * values are the ones the getters return (repeated fields are the message's own arrays either
 * way); over gRPC, and under the CLI, the library reads the decoded message itself. Plain
 * objects of one shape, not objects inheriting from each message: V8 keeps calls on them fast.
 */
function readOnce<T extends object>(
  message: T,
  getters: readonly string[],
  wrap: Record<string, (value: unknown) => unknown> = {},
): T {
  const view: Record<string, () => unknown> = {};
  const source = message as unknown as Record<string, unknown>;
  for (const getter of getters) {
    const read = source[getter];
    if (typeof read !== "function") continue;
    const raw = read.call(message);
    const value = wrap[getter] && raw ? wrap[getter](raw) : raw;
    view[getter] = () => value;
  }
  return view as unknown as T;
}

const OPTION_GETTERS = [
  "getProtect",
  "getIgnorechangesList",
  "getAliasesList",
  "getCustomtimeouts",
  "getAdditionalsecretoutputsList",
  "getDeletebeforereplacedefined",
  "getDeletebeforereplace",
  "getParent",
] as const;

const RESOURCE_GETTERS = [
  "getType",
  "getUrn",
  "getName",
  "getProperties",
  "getOptions",
  "getProvider",
  "getParent",
  "getDependenciesList",
  "getPropertydependenciesMap",
] as const;

/** What the library reads of a Struct. */
interface Decodable {
  toJavaScript(): unknown;
}

const decodedStructs = new WeakMap<Struct, Decodable>();

/**
 * A resource's properties whose `toJavaScript()` decodes once per Struct.
 *
 * Why: `@pulumi/policy` decodes a resource's properties (`toJavaScript`, then its own copy into
 * the values policies read) for every policy it runs: each stack policy decodes every resource,
 * each resource policy of the type decodes it again. The library copies what it decodes before
 * any policy sees it and never writes to the decoded tree, so handing it the tree decoded once
 * is the same input without re-walking the protobuf per policy.
 */
function decodedOnce(struct: Struct): Decodable {
  const cached = decodedStructs.get(struct);
  if (cached) return cached;
  const value = wireValueOf(struct);
  const decoded: Decodable = { toJavaScript: () => value };
  decodedStructs.set(struct, decoded);
  return decoded;
}

/** A resource of an `Analyze` or `AnalyzeStack` request, its getters read once (`readOnce`). */
function resourceView<T extends object>(resource: T): T {
  return readOnce(resource, RESOURCE_GETTERS, {
    getProperties: (struct) => decodedOnce(struct as Struct),
    getOptions: (options) =>
      readOnce(options as object, OPTION_GETTERS, {
        getCustomtimeouts: (t) => readOnce(t as object, ["getCreate", "getUpdate", "getDelete"]),
      }),
    getProvider: (provider) =>
      readOnce(provider as object, ["getType", "getUrn", "getName", "getProperties"], {
        getProperties: (struct) => decodedOnce(struct as Struct),
      }),
    getPropertydependenciesMap: (map) => {
      const entries = Array.from(
        (map as { entries(): Iterable<[string, { getUrnsList(): string[] }]> }).entries(),
        ([key, deps]) => [key, readOnce(deps, ["getUrnsList"])] as const,
      );
      return { entries: () => entries };
    },
  });
}

function stackRequestView(request: AnalyzeStackRequest): AnalyzeStackRequest {
  const resources = request.getResourcesList().map(resourceView);
  return { getResourcesList: () => resources } as unknown as AnalyzeStackRequest;
}

/** The library's analyzer, in this process, behind the same interface as a gRPC client. */
export function loadInProcessAnalyzer(pack: PackDefinition): AnalyzerTransport {
  const service = loadAnalyzerService(pack);
  return {
    getAnalyzerInfo: () => call<AnalyzerInfo>(service.getAnalyzerInfo, new Empty()),
    configureStack: async (request) => {
      await call(service.configureStack, request);
    },
    configure: async (request) => {
      await call(service.configure, request);
    },
    analyze: (request) => analysis<AnalyzeResponse>(service.analyze, resourceView(request)),
    analyzeStack: (request) =>
      analysis<AnalyzeResponse>(service.analyzeStack, stackRequestView(request)),
    close: () => {},
  };
}
