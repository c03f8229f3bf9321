/**
 * Errors of the preview as a user can act on them without `--verbose`: what kind of problem
 * (usage, stack config, policy config, the program, the base ref), where (file:line:column and
 * the code frame for a program that does not compile), and, under `--json`, as a JSON document.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SCHEMA_VERSION } from "./output";
import { mapStack, originalPosition } from "./source-map";

export type ErrorKind =
  | "usage"
  | "stack-config"
  | "policy-config"
  | "compile"
  | "program"
  | "base"
  | "internal";

export interface ErrorLocation {
  file: string;
  line: number;
  column: number;
}

export interface DescribedError {
  kind: ErrorKind;
  message: string;
  /** Each problem on its own (a config error lists them all). */
  problems: string[];
  location?: ErrorLocation;
  /** The source lines around `location`, with a caret under the column. */
  frame?: string;
  /** The program's stack, its frames mapped to the TypeScript sources (`--verbose`). */
  stack?: string;
}

/** `error.name` rather than `instanceof`: the program's modules are re-loaded on every run. */
function named(err: unknown, name: string): err is Error {
  return err instanceof Error && err.name === name;
}

/** Three lines of context around line:column of `file`, the way compilers print them. */
export function codeFrame(file: string, line: number, column: number): string | undefined {
  let source: string;
  try {
    source = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const lines = source.split("\n");
  if (line < 1 || line > lines.length) return undefined;
  const first = Math.max(1, line - 2);
  const last = Math.min(lines.length, line + 1);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    out.push(`${n === line ? ">" : " "} ${String(n).padStart(width)} | ${lines[n - 1] ?? ""}`);
    if (n === line) out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, column - 1))}^`);
  }
  return out.join("\n");
}

interface EsbuildMessage {
  text: string;
  location?: { file: string; line: number; column: number } | null;
}

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}

/** The first frame of `stack` inside the project's sources (not node_modules, not tools/). */
function programFrame(stack: string | undefined): ErrorLocation | undefined {
  for (const line of (stack ?? "").split("\n")) {
    const m = /\(?((?:\/|[A-Za-z]:\\)[^():]+\.[cm]?tsx?):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!m?.[1] || m[1].includes(`${path.sep}node_modules${path.sep}`)) continue;
    if (m[1].includes(`${path.sep}tools${path.sep}`)) continue;
    return { file: m[1], ...originalPosition(m[1], Number(m[2]), Number(m[3])) };
  }
  return undefined;
}

/** Classifies what the preview threw. */
export function describeError(err: unknown): DescribedError {
  const message = err instanceof Error ? err.message : String(err);
  // The tools' one error type says which input it is about (tools/lib/errors.ts).
  const toolKind = named(err, "ToolError") ? (err as Error & { kind?: string }).kind : undefined;
  if (toolKind === "stack-config") return { kind: "stack-config", message, problems: [message] };
  if (toolKind === "policy-config") return { kind: "policy-config", message, problems: [message] };
  if (toolKind === "base") return { kind: "base", message, problems: [message] };
  if (toolKind !== undefined && toolKind !== "program") {
    return { kind: "usage", message, problems: [message] };
  }
  if (named(err, "TypeCheckError")) {
    const t = err as Error & {
      diagnostics: string;
      first?: { file: string; line: number; column: number };
    };
    return {
      kind: "compile",
      message,
      problems: [message],
      location: t.first ? { ...t.first, file: path.resolve(t.first.file) } : undefined,
      frame: t.diagnostics.trimEnd(),
    };
  }
  if (toolKind === "program") {
    const cause = (err as Error & { cause?: unknown }).cause;
    // The program read its stack config and rejected it: a config error, not a program failure.
    if (named(cause, "ConfigError")) {
      const problems = (cause as Error & { problems?: string[] }).problems ?? [cause.message];
      return { kind: "stack-config", message: problems.join("; "), problems };
    }
    // esbuild could not transform a source file: the syntax error with its position.
    const errors = (cause as { errors?: EsbuildMessage[] } | undefined)?.errors;
    if (Array.isArray(errors) && errors.length > 0 && errors[0]?.location) {
      const first = errors[0];
      const loc = first.location!;
      const location = { file: path.resolve(loc.file), line: loc.line, column: loc.column + 1 };
      const problems = errors.map((e) =>
        e.location
          ? `${relative(e.location.file)}:${e.location.line}:${e.location.column + 1}: ${e.text}`
          : e.text,
      );
      return {
        kind: "compile",
        message: `syntax error: ${problems[0]}`,
        problems,
        location,
        frame: codeFrame(location.file, location.line, location.column),
      };
    }
    const raw = cause instanceof Error ? cause.stack : undefined;
    const location = programFrame(raw);
    const stack = raw ? mapStack(raw) : undefined;
    return {
      kind: "program",
      message,
      problems: [message],
      location,
      frame: location ? codeFrame(location.file, location.line, location.column) : undefined,
      stack,
    };
  }
  return {
    kind: "internal",
    message,
    problems: [message],
    stack: err instanceof Error ? err.stack : undefined,
  };
}

const HEADINGS: Record<ErrorKind, string> = {
  usage: "error",
  "stack-config": "error: stack config",
  "policy-config": "error: policy config",
  compile: "error: the program does not compile",
  program: "error: the program failed",
  base: "error",
  internal: "error",
};

/** The error as text lines for stderr. */
export function renderError(d: DescribedError, verbose: boolean): string {
  const lines: string[] = [];
  if (d.problems.length > 1) {
    lines.push(`${HEADINGS[d.kind]}: ${d.problems.length} problems`);
    for (const p of d.problems) lines.push(`  - ${p}`);
  } else {
    const where =
      d.location && d.kind === "program"
        ? ` (at ${relative(d.location.file)}:${d.location.line}:${d.location.column})`
        : "";
    lines.push(`${HEADINGS[d.kind]}: ${d.message}${where}`);
  }
  if (d.frame) lines.push(d.frame);
  if (verbose && d.stack) lines.push(d.stack);
  return lines.join("\n");
}

/** Prints `err` (as JSON on stdout under `--json`) and returns exit code 2. */
export function reportError(
  err: unknown,
  options: { json: boolean; verbose: boolean; jsonFile?: string },
  io: { out: (t: string) => void; err: (t: string) => void },
): number {
  const d = describeError(err);
  if (options.json || options.jsonFile) {
    const location = d.location ? { ...d.location, file: relative(d.location.file) } : undefined;
    const doc = JSON.stringify(
      {
        schemaVersion: SCHEMA_VERSION,
        error: {
          kind: d.kind,
          message: d.message,
          problems: d.problems,
          location,
          frame: d.frame,
          stack: options.verbose ? d.stack : undefined,
        },
      },
      null,
      2,
    );
    if (options.jsonFile) fs.writeFileSync(options.jsonFile, `${doc}\n`);
    if (options.json) {
      io.out(doc);
      return 2;
    }
  }
  io.err(renderError(d, options.verbose));
  return 2;
}

/**
 * A program error without a location: the preview runs programs without JavaScript stack traces
 * (capturing one per resource output costs ~80 % more run time), so a `throw` in the program has
 * no frames. Only then, the program runs once more with stack traces to find the line; the error
 * of that run is returned when it has one, else the original.
 */
export async function locateProgramError(
  err: unknown,
  rerun: () => Promise<unknown>,
): Promise<unknown> {
  const d = describeError(err);
  if (d.kind !== "program" || d.location) return err;
  try {
    await rerun();
  } catch (again) {
    const located = describeError(again);
    if (located.kind === "program" && located.location && located.message === d.message) {
      return again;
    }
  }
  return err;
}
