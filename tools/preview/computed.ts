import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Which outputs of a resource the provider computes on create, read from the `@pulumi/aws`
 * resource class itself (its `.d.ts`, generated from the provider schema), not a hand-kept list:
 *
 * - `outputOnly`: properties of the class that its `…Args` type does not accept (`arn`, `url`,
 *   `tagsAll`…). A new stack's `pulumi preview` shows them unknown.
 * - `computedInputs`: inputs whose output type is not optional (`pulumi.Output<T>` without
 *   `| undefined`): the provider fills them in when the program leaves them unset (a queue's
 *   `redrivePolicy`, a rotation's `rotationEnabled`), so they are unknown until created.
 *
 * Why parse the declaration: the SDK's JavaScript marks output-only properties (`/*out*\/`) but
 * not which inputs the provider computes; the declarations carry both, and ship with the package
 * the program itself compiles against.
 */
export interface ComputedOutputs {
  outputOnly: ReadonlySet<string>;
  computedInputs: ReadonlySet<string>;
}

const NONE: ComputedOutputs = { outputOnly: new Set(), computedInputs: new Set() };
const cache = new Map<string, ComputedOutputs>();

/**
 * Parsing the declarations of the ~55 types a stack uses costs ~20 ms per preview; the result
 * only changes with the installed SDK, so it is kept in `.build/preview/` keyed on its version.
 */
const DISK_CACHE = path.resolve(
  __dirname,
  "..",
  "..",
  ".build",
  "preview",
  "computed-outputs.json",
);

interface DiskCache {
  /** `@pulumi/<pkg>` versions the entries were read from. */
  versions: Record<string, string>;
  types: Record<string, { outputOnly: string[]; computedInputs: string[] }>;
}

let disk: DiskCache | undefined;
let diskDirty = false;

function sdkVersion(pkg: string): string | undefined {
  try {
    return (require(`@pulumi/${pkg}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

function loadDisk(): DiskCache {
  if (disk) return disk;
  try {
    disk = JSON.parse(fs.readFileSync(DISK_CACHE, "utf8")) as DiskCache;
  } catch {
    disk = { versions: {}, types: {} };
  }
  return disk;
}

/** Writes the entries parsed by this process, if any (called once a program has run). */
export function saveComputedOutputs(): void {
  if (!diskDirty || !disk) return;
  try {
    fs.mkdirSync(path.dirname(DISK_CACHE), { recursive: true });
    const tmp = `${DISK_CACHE}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(disk));
    fs.renameSync(tmp, DISK_CACHE);
    diskDirty = false;
  } catch {
    // A read-only checkout only loses the cache.
  }
}

/** `aws:sqs/queue:Queue` → `<@pulumi/aws>/sqs/queue.d.ts` and `Queue`; undefined for other shapes. */
function declarationOf(type: string): { file: string; className: string } | undefined {
  const m = /^([a-z0-9-]+):([A-Za-z0-9_]+)\/([A-Za-z0-9_]+):([A-Za-z0-9_]+)$/.exec(type);
  if (!m || m[1] === "pulumi") return undefined;
  const [, pkg, mod, file, className] = m;
  let root: string;
  try {
    root = path.dirname(require.resolve(`@pulumi/${pkg}/package.json`));
  } catch {
    return undefined;
  }
  const candidates =
    mod === "index" ? [path.join(root, `${file}.d.ts`)] : [path.join(root, mod, `${file}.d.ts`)];
  const found = candidates.find((f) => fs.existsSync(f));
  return found ? { file: found, className } : undefined;
}

/** The `{ … }` body that follows `header` in `text` (declarations nest braces only in types). */
function blockAfter(text: string, header: string): string | undefined {
  const start = text.indexOf(header);
  if (start < 0) return undefined;
  let depth = 0;
  for (let i = text.indexOf("{", start); i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(text.indexOf("{", start) + 1, i);
  }
  return undefined;
}

/** Top-level members of a class or interface body (4-space indented): name → its type text. */
function members(body: string, readonly: boolean): Map<string, string> {
  const start = readonly ? /^ {4}readonly (\w+)\??: /gm : /^ {4}(\w+)\??: /gm;
  const found = [...body.matchAll(start)];
  const result = new Map<string, string>();
  for (const [i, m] of found.entries()) {
    const from = (m.index ?? 0) + m[0].length;
    const to = i + 1 < found.length ? (found[i + 1].index ?? body.length) : body.length;
    // A type runs to its `;`, possibly over several lines; the next member's TSDoc follows it.
    const text = body.slice(from, to).replace(/\/\*\*[\s\S]*?\*\//g, "");
    result.set(m[1], text.trim().replace(/;$/, ""));
  }
  return result;
}

/** Parses one declaration file; exported for tests. */
export function computedOutputsFromDeclaration(text: string, className: string): ComputedOutputs {
  const classBody = blockAfter(text, `export declare class ${className} extends`);
  const argsBody = blockAfter(text, `export interface ${className}Args {`);
  if (classBody === undefined) return NONE;
  const outputs = members(classBody, true);
  const inputs = members(argsBody ?? "", false);
  const outputOnly = new Set<string>();
  const computedInputs = new Set<string>();
  for (const [name, type] of outputs) {
    if (!type.startsWith("pulumi.Output<")) continue; // Not a property (a static member).
    if (!inputs.has(name)) outputOnly.add(name);
    else if (!/\|\s*undefined\s*>$/.test(type)) computedInputs.add(name);
  }
  return { outputOnly, computedInputs };
}

/** The computed outputs of a resource type; none for components and types without an SDK here. */
export function computedOutputs(type: string): ComputedOutputs {
  let result = cache.get(type);
  if (result) return result;
  const pkg = type.split(":")[0] ?? "";
  const version = sdkVersion(pkg);
  const stored = loadDisk();
  const entry = version && stored.versions[pkg] === version ? stored.types[type] : undefined;
  if (entry) {
    result = {
      outputOnly: new Set(entry.outputOnly),
      computedInputs: new Set(entry.computedInputs),
    };
  } else {
    const decl = declarationOf(type);
    result = decl
      ? computedOutputsFromDeclaration(fs.readFileSync(decl.file, "utf8"), decl.className)
      : NONE;
    if (version) {
      if (stored.versions[pkg] !== version) {
        // Another SDK version: every entry of that package is stale.
        for (const key of Object.keys(stored.types)) {
          if (key.startsWith(`${pkg}:`)) delete stored.types[key];
        }
        stored.versions[pkg] = version;
      }
      stored.types[type] = {
        outputOnly: [...result.outputOnly],
        computedInputs: [...result.computedInputs],
      };
      diskDirty = true;
    }
  }
  cache.set(type, result);
  return result;
}
