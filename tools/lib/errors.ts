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
  /** What the input was, so the message can say so ("error: stack config: …"). */
  readonly kind: ToolErrorKind;

  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
    options?: { cause?: unknown; kind?: ToolErrorKind },
  ) {
    super(message, options);
    this.name = "ToolError";
    this.kind = options?.kind ?? (exitCode === EXIT_USAGE ? "usage" : "failure");
  }
}

/** Which input a ToolError is about: flags, a stack config, a policy config, the program run. */
export type ToolErrorKind =
  | "usage"
  | "stack-config"
  | "policy-config"
  | "program"
  | "base"
  | "failure";

/** Bad input: a ToolError with the usage exit code. */
export function usageError(message: string): ToolError {
  return new ToolError(message, EXIT_USAGE);
}

/** A bad Pulumi.yaml or Pulumi.<stack>.yaml (exit 2). */
export function stackConfigError(message: string): ToolError {
  return new ToolError(message, EXIT_USAGE, { kind: "stack-config" });
}

/** A bad policy config file (exit 2). */
export function policyConfigError(message: string): ToolError {
  return new ToolError(message, EXIT_USAGE, { kind: "policy-config" });
}

/** The `--base` ref cannot be checked out, or its preview failed (exit 2). */
export function baseError(message: string): ToolError {
  return new ToolError(message, EXIT_USAGE, { kind: "base" });
}

/** The program threw, or the engine could not take what it registered (exit 2). */
export function programError(message: string, cause: unknown): ToolError {
  return new ToolError(message, EXIT_USAGE, { cause, kind: "program" });
}
