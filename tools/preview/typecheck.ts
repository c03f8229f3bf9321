/**
 * `--typecheck`: the program's TypeScript type errors before it runs. The preview's loader only
 * transpiles (esbuild drops types, so `const n: number = "x"` runs); the TypeScript compiler
 * checks the program file and everything it imports, with the project's tsconfig.json, and
 * reports each error as file:line:column with its code frame. Opt-in: checking the whole program
 * against the AWS SDK's declarations takes seconds (tools/bench measures it), more than the
 * preview itself; `npm run typecheck` checks infra/ in `npm test` and in the pull-request job.
 */
import * as path from "node:path";
import { stripVTControlCharacters } from "node:util";
import type * as TS from "typescript";
import { EXIT_USAGE, ToolError } from "../lib/errors";

/** The program has type errors: a ToolError (exit code 2) that carries the diagnostics. */
export class TypeCheckError extends ToolError {
  constructor(
    readonly diagnostics: string,
    readonly count: number,
    readonly first: { file: string; line: number; column: number; text: string } | undefined,
  ) {
    super(
      first
        ? `${count} type error${count === 1 ? "" : "s"}; first: ${first.file}:${first.line}:${first.column}: ${first.text}`
        : `${count} type error${count === 1 ? "" : "s"}`,
      EXIT_USAGE,
      { kind: "program" },
    );
    this.name = "TypeCheckError";
  }
}

/** Relative to the working directory inside it, absolute outside. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}

export function typeCheckProgram(programFile: string, projectRoot: string): void {
  const ts = require("typescript") as typeof TS;
  const configFile = path.join(projectRoot, "tsconfig.json");
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(read.config ?? {}, ts.sys, projectRoot);
  // A program outside the project (`--program /elsewhere/index.ts`) resolves this project's
  // packages, as it does when it runs (NODE_PATH, see run-program.ts).
  const modules = path.join(projectRoot, "node_modules");
  const program = ts.createProgram([programFile], {
    ...parsed.options,
    noEmit: true,
    baseUrl: parsed.options.baseUrl ?? projectRoot,
    paths: parsed.options.paths ?? { "*": [`${modules}/*`, `${modules}/@types/*`] },
  });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length === 0) return;
  const host: TS.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => "\n",
  };
  const d = diagnostics[0]!;
  let first: TypeCheckError["first"];
  if (d.file && d.start !== undefined) {
    const pos = d.file.getLineAndCharacterOfPosition(d.start);
    first = {
      file: shown(d.file.fileName),
      line: pos.line + 1,
      column: pos.character + 1,
      text: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    };
  }
  throw new TypeCheckError(
    stripVTControlCharacters(ts.formatDiagnosticsWithColorAndContext(diagnostics, host)),
    diagnostics.length,
    first,
  );
}
