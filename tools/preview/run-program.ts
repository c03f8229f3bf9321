import * as path from "node:path";
import type {
  RegisterResourceOutputsRequest,
  RegisterResourceRequest,
  RegisterResourceResponse,
} from "@pulumi/pulumi/proto/resource_pb";
import {
  specialArchiveSig as ARCHIVE_SIG,
  specialAssetSig as ASSET_SIG,
  specialOutputValueSig as OUTPUT_VALUE_SIG,
  specialResourceSig as RESOURCE_SIG,
  specialSecretSig as SECRET_SIG,
  specialSigKey as SIG_KEY,
  unknownValue as UNKNOWN,
} from "@pulumi/pulumi/runtime/rpc";
import { type Struct, Struct as StructCtor } from "google-protobuf/google/protobuf/struct_pb";
import { programError } from "../lib/errors";
import { checkAssets } from "./assets";
import { saveComputedOutputs } from "./computed";
import { createAwsMocks } from "./mocks";
import type { LoadedStackConfig } from "./stack-config";

/** One `RegisterResource` call, as the engine would have received it. */
export interface CapturedResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  id: string;
  /** URN of the parent resource (the stack for top-level resources). */
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** Provider reference (`<urn>::<id>`), empty for the default provider. */
  provider: string;
  options: {
    protect: boolean;
    retainOnDelete: boolean;
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
    replaceOnChanges: string[];
    additionalSecretOutputs: string[];
    aliases: string[];
    deletedWith: string;
    customTimeouts?: { create: string; update: string; delete: string };
  };
  /** Inputs as plain JSON: secrets shown as "[secret]", resource references as URNs. */
  inputs: Record<string, unknown>;
  /** Outputs the (mock) provider returned, same encoding as `inputs`. */
  outputs: Record<string, unknown>;
  /** The wire-format inputs with secret markers intact, for the policy analyzer. */
  inputsStruct: Struct;
  /** The wire-format outputs (for components: what they passed to `registerOutputs`). */
  outputsStruct: Struct | undefined;
  /** Where the program declared the resource, as the SDK recorded it (file URI, 1-based line). */
  sourcePosition?: { uri: string; line: number; column: number };
}

/** Which preview the mocks answered as: a stack not created yet, or one already deployed. */
export type PreviewMode = "first-deploy" | "assume-deployed";

export interface ProgramRun {
  project: string;
  stack: string;
  mode: PreviewMode;
  /** The working directory the program ran in (asset and archive paths resolve from it). */
  workDir: string;
  /** Every resource the program registered, in registration order (the stack first). */
  resources: CapturedResource[];
  /** Stack outputs (the program module's exports), secrets redacted. */
  outputs: Record<string, unknown>;
  /** Keys of the stack outputs that are Pulumi secrets. */
  secretOutputs: string[];
}

/** Wire-format property value → JSON a human (or `--json`) can read, never revealing secrets. */
export function toPlain(value: unknown): unknown {
  if (value === UNKNOWN) return "[unknown]";
  if (Array.isArray(value)) return value.map(toPlain);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  switch (obj[SIG_KEY]) {
    case SECRET_SIG:
      return "[secret]";
    case RESOURCE_SIG:
      return obj.urn;
    case ASSET_SIG:
      return { asset: obj.path ?? obj.uri ?? "[text]" };
    case ARCHIVE_SIG:
      return {
        archive: obj.path ?? obj.uri ?? Object.keys((obj.assets as object | undefined) ?? {}),
      };
    case OUTPUT_VALUE_SIG:
      return obj.secret === true ? "[secret]" : toPlain(obj.value);
    default:
      return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toPlain(v)]));
  }
}

const wireValues = new WeakMap<Struct, Record<string, unknown>>();

/**
 * `struct.toJavaScript()`, computed once per Struct: the report, `--json` and the policy
 * engine all read the same registrations, and decoding protobuf is most of their cost.
 * Callers must not mutate the result.
 */
export function wireValueOf(struct: Struct): Record<string, unknown> {
  let value = wireValues.get(struct);
  if (!value) {
    value = struct.toJavaScript() as Record<string, unknown>;
    wireValues.set(struct, value);
  }
  return value;
}

function structToPlain(struct: Struct | undefined): Record<string, unknown> {
  return struct ? (toPlain(wireValueOf(struct)) as Record<string, unknown>) : {};
}

/**
 * Defines `inputs`/`outputs` as plain JSON decoded on first read: most previews only read a
 * few resources' values (the tree and the policy engine work from the wire format).
 */
function withPlainValues(entry: Omit<CapturedResource, "inputs" | "outputs">): CapturedResource {
  const cache: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } = {};
  let outputsStruct = entry.outputsStruct;
  const captured = entry as CapturedResource;
  Object.defineProperties(captured, {
    inputs: {
      enumerable: true,
      get: () => (cache.inputs ??= structToPlain(entry.inputsStruct)),
      set: (value: Record<string, unknown>) => {
        cache.inputs = value;
      },
    },
    outputsStruct: {
      enumerable: true,
      get: () => outputsStruct,
      set: (value: Struct | undefined) => {
        outputsStruct = value;
        cache.outputs = undefined;
      },
    },
    outputs: {
      enumerable: true,
      get: () => (cache.outputs ??= structToPlain(outputsStruct)),
      set: (value: Record<string, unknown>) => {
        cache.outputs = value;
      },
    },
  });
  return captured;
}

/** Drops the program's own modules from the require cache so a second run re-executes it. */
function forgetProjectModules(root: string): void {
  // Prefix tests first: most of the ~3 000 cached modules are under node_modules/.
  const dependencies = path.join(root, "node_modules") + path.sep;
  const tools = path.join(root, "tools") + path.sep;
  for (const key of Object.keys(require.cache)) {
    if (!key.startsWith(root) || key.startsWith(dependencies) || key.startsWith(tools)) continue;
    if (!key.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[key];
  }
}

/**
 * A program outside the project (`--program /elsewhere/index.ts`) must load this project's
 * `@pulumi/pulumi`: the mock runtime is module state, and a second copy would not see it.
 */
function resolveFromProject(root: string): void {
  const modules = path.join(root, "node_modules");
  const current = (process.env.NODE_PATH ?? "").split(path.delimiter).filter(Boolean);
  if (current.includes(modules)) return;
  process.env.NODE_PATH = [...current, modules].join(path.delimiter);
  // biome-ignore lint/suspicious/noExplicitAny: Module._initPaths re-reads NODE_PATH; not in the typings.
  (require("node:module") as any)._initPaths();
}

export interface RunProgramOptions {
  programFile: string;
  stackConfig: LoadedStackConfig;
  /**
   * The program's working directory, as the engine sets it: the directory of `main` in
   * `Pulumi.yaml` (see `projectMain`). Asset and archive paths are resolved from it.
   * @default the program file's directory
   */
  workDir?: string;
  /**
   * Preview as for a stack that does not exist yet (computed outputs unknown), or, when false,
   * as for one already deployed (every output known and realistic).
   * @default true
   */
  firstDeploy?: boolean;
  /** Directory whose modules are re-loaded on every run. Defaults to the program's project root. */
  projectRoot?: string;
  /**
   * Keep JavaScript stack traces while the program runs (`--verbose`). When off, the SDK's
   * per-output debugging captures (`new Error().stack` for every property of every resource,
   * kept only to report leaked promises) cost nothing; resource source positions are
   * unaffected (the SDK lifts the limit for those itself).
   * @default false
   */
  stackTraces?: boolean;
}

/**
 * Runs a Pulumi TypeScript program under the SDK's mock runtime, as the language host would
 * (inside a `pulumi:pulumi:Stack` root resource, the module's exports as stack outputs),
 * and captures every registration the engine would have seen.
 */
export async function runProgram(options: RunProgramOptions): Promise<ProgramRun> {
  const { stackConfig } = options;
  const programFile = path.resolve(options.programFile);
  const projectRoot = options.projectRoot ?? path.resolve(__dirname, "..", "..");

  // require, not import(): a dynamic import of a CommonJS package goes through the ESM loader,
  // which lexes the package's sources for their exports (~10 ms of every preview).
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  const runtime = pulumi.runtime;

  // Order matters: config, then mocks, then the program (a static import would run first).
  runtime.setAllConfig(stackConfig.config, stackConfig.secretKeys);
  const region = stackConfig.config["aws:region"] ?? "us-east-1";
  const firstDeploy = options.firstDeploy !== false;
  const workDir = path.resolve(options.workDir ?? path.dirname(programFile));
  await runtime.setMocks(
    createAwsMocks(region, { firstDeploy }),
    stackConfig.project,
    stackConfig.stack,
    true,
  );

  // The real engine leaves the root stack's type out of its children's URNs; the mock monitor
  // does not, so policies matching on URNs would see names no real preview produces.
  // biome-ignore lint/suspicious/noExplicitAny: the mock monitor is an untyped gRPC-shaped object.
  const monitor = runtime.getMonitor() as any;
  const newUrn = monitor.newUrn.bind(monitor);
  monitor.newUrn = (parent: string, type: string, name: string): string =>
    newUrn(parent && parent.split("::")[2] === "pulumi:pulumi:Stack" ? "" : parent, type, name);

  const captured = new Map<string, CapturedResource>();
  const order: string[] = [];
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (
    req: RegisterResourceRequest,
    callback: (err: unknown, resp?: RegisterResourceResponse) => void,
  ) => {
    register(req, (err: unknown, resp?: RegisterResourceResponse) => {
      if (!err && resp) {
        const urn: string = resp.getUrn();
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => {
          propertyDependencies[key] = deps.getUrnsList();
        });
        const timeouts = req.getCustomtimeouts();
        const inputsStruct = req.getObject() ?? new StructCtor();
        const outputsStruct = resp.getObject() ?? new StructCtor();
        const position = req.getSourceposition();
        captured.set(
          urn,
          withPlainValues({
            urn,
            type: req.getType(),
            name: req.getName(),
            custom: req.getCustom(),
            id: resp.getId(),
            parent: req.getParent(),
            dependencies: req.getDependenciesList(),
            propertyDependencies,
            provider: req.getProvider(),
            options: {
              protect: req.getProtect() === true,
              retainOnDelete: req.getRetainondelete() === true,
              deleteBeforeReplace: req.getDeletebeforereplace(),
              ignoreChanges: req.getIgnorechangesList(),
              replaceOnChanges: req.getReplaceonchangesList(),
              additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
              aliases: req.getAliasurnsList(),
              deletedWith: req.getDeletedwith(),
              customTimeouts: timeouts
                ? {
                    create: timeouts.getCreate(),
                    update: timeouts.getUpdate(),
                    delete: timeouts.getDelete(),
                  }
                : undefined,
            },
            inputsStruct,
            outputsStruct: req.getCustom() ? outputsStruct : undefined,
            sourcePosition: position
              ? { uri: position.getUri(), line: position.getLine(), column: position.getColumn() }
              : undefined,
          }),
        );
        order.push(urn);
      }
      callback(err, resp);
    });
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (
    req: RegisterResourceOutputsRequest,
    callback: (err: unknown, resp?: unknown) => void,
  ) => {
    const entry = captured.get(req.getUrn());
    if (entry && req.getOutputs()) {
      entry.outputsStruct = req.getOutputs();
    }
    registerOutputs(req, callback);
  };

  forgetProjectModules(projectRoot);
  resolveFromProject(projectRoot);
  // When the program throws, the SDK leaves promises derived from the stack's outputs rejected
  // with nobody listening; Node would then crash with a stack trace and exit 1. The language host
  // reports such failures as the program's error, and so does this: collect them during the run.
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on("unhandledRejection", onUnhandled);
  const stackTraceLimit = Error.stackTraceLimit;
  if (options.stackTraces !== true) Error.stackTraceLimit = 0;
  // The engine runs the program from the directory of `main` (getPwdMain, pkg/engine/project.go).
  const previousCwd = process.cwd();
  process.chdir(workDir);
  try {
    await runtime.runInPulumiStack(async () => {
      const mod = require(programFile);
      return mod?.__esModule && "default" in mod && typeof mod.default === "function"
        ? await mod.default()
        : mod;
    });
    // `waitForRPCs` is @internal in the typings but exported: it drains pending registrations.
    await (runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    await new Promise((resolve) => setImmediate(resolve));
    if (unhandled.length > 0) throw unhandled[0];
  } catch (err) {
    // The program threw (or a resource's inputs failed): exit code 2.
    throw programError(describeProgramError(err), err);
  } finally {
    process.chdir(previousCwd);
    Error.stackTraceLimit = stackTraceLimit;
    // Rejections of the failed run surface within a turn or two of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 0));
    process.off("unhandledRejection", onUnhandled);
    releaseRun(monitor);
  }

  saveComputedOutputs();
  const resources = order.map((urn) => captured.get(urn)!);
  // The engine hashes every asset and archive when the resource registers; a missing one fails.
  checkAssets(resources, workDir, (r) => wireValueOf(r.inputsStruct));
  // The stack registers its outputs like any component; the wire format keeps secret markers.
  const stackResource = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const rawOutputs = stackResource?.outputsStruct ? wireValueOf(stackResource.outputsStruct) : {};
  const secretOutputs = Object.entries(rawOutputs)
    .filter(
      ([, v]) =>
        typeof v === "object" &&
        v !== null &&
        (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG,
    )
    .map(([k]) => k);

  return {
    project: stackConfig.project,
    stack: stackConfig.stack,
    mode: firstDeploy ? "first-deploy" : "assume-deployed",
    workDir,
    resources,
    outputs: stackResource?.outputs ?? {},
    secretOutputs,
  };
}

/**
 * Lets go of what the SDK keeps of a finished run: the stack resource (held in a global, and
 * through its children every resource object with its outputs' promises) and the mock monitor's
 * copy of every resource's state. The language host exits after the program; the preview goes on
 * to evaluate policies, whose garbage collections would otherwise trace all of it again (at
 * 10 000 resources, about 300 MB live). Everything the preview needs was captured above.
 */
// biome-ignore lint/suspicious/noExplicitAny: the mock monitor is an untyped gRPC-shaped object.
function releaseRun(monitor: any): void {
  (
    require("@pulumi/pulumi/runtime/state") as { setStackResource(r: unknown): void }
  ).setStackResource(undefined);
  (monitor.resources as Map<string, unknown> | undefined)?.clear();
}

function describeProgramError(err: unknown): string {
  if (err instanceof Error) {
    // Pulumi wraps failures of resource inputs as RunError with the useful message first.
    return err.message.split("\n")[0] ?? String(err);
  }
  return String(err);
}
