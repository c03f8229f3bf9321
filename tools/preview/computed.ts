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
  if (!result) {
    const decl = declarationOf(type);
    result = decl
      ? computedOutputsFromDeclaration(fs.readFileSync(decl.file, "utf8"), decl.className)
      : NONE;
    cache.set(type, result);
  }
  return result;
}
