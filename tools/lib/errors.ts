/** Exit code of a command given bad input (flags, stack or policy config, a missing tool). */
export const EXIT_USAGE = 2;
/** Exit code of a command whose work failed (a deploy step, a check, a migration). */
export const EXIT_FAILED = 1;

/**
 * The one error type of the tools: a message written for the person at the terminal (it names
 * the flag, file, stack or policy, and the fix) and the exit code the command ends with. Any
 * other error is a bug and is printed with its stack.
 */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ToolError";
  }
}

/** Bad input: a ToolError with the usage exit code. */
export function usageError(message: string): ToolError {
  return new ToolError(message, EXIT_USAGE);
}
