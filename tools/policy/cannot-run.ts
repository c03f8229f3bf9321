/**
 * A policy that read a value unknown during preview. Its own module: the deploy command judges
 * the CLI's policy events with it without loading the pack.
 */

/** How `@pulumi/policy` words a policy that read an unknown value (server.js). */
export function isCannotRun(message: string): boolean {
  return /^can't run (policy|remediation) '[^']+' from policy pack .* during preview:/.test(
    message,
  );
}

/** What a user must do when a mandatory policy cannot decide at preview. */
export const CANNOT_RUN_ADVICE =
  "A mandatory policy that cannot run during preview does not gate the deploy (stack policies run after every step of `pulumi up`): make the value it reads known at preview (set it as an input of the resource, or link the resources through outputs so the dependency shows), or fix the policy to decide from inputs and dependencies.";
