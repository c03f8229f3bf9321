import { spawn } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * `capture` collects stdout/stderr for the caller; `inherit` streams them to the terminal
   * (long Pulumi runs print their own progress).
   * @default "capture"
   */
  stdio?: "capture" | "inherit";
}

export interface RunResult {
  /** Exit code; `null` when the process could not start or was killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The executable was not found on PATH (spawn ENOENT). */
  notFound: boolean;
}

/** Runs an external command. Injected so every step can be tested with a fake. */
export type CommandRunner = (
  command: string,
  args: string[],
  options?: RunOptions,
) => Promise<RunResult>;

/** The real runner: `child_process.spawn` without a shell, so arguments are never re-parsed. */
export const spawnRunner: CommandRunner = (command, args, options = {}) =>
  new Promise((resolve) => {
    const inherit = options.stdio === "inherit";
    let stdout = "";
    let stderr = "";
    let settled = false;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: inherit ? ["inherit", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    });
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      resolve({
        code: null,
        stdout,
        stderr: stderr || err.message,
        notFound: err.code === "ENOENT",
      });
    });
    child.on("close", (code) => {
      if (settled) return;
      settled = true;
      resolve({ code, stdout, stderr, notFound: false });
    });
  });

/** `pulumi preview --stack prod …` as a user would type it, for echoing what runs. */
export function commandLine(command: string, args: string[]): string {
  return [command, ...args.map((a) => (/^[\w./:@=,+-]+$/.test(a) ? a : JSON.stringify(a)))].join(
    " ",
  );
}

/** The last `n` non-empty lines of a command's output, to show why it failed. */
export function tail(text: string, n: number): string {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-n)
    .join("\n");
}
