/**
 * Physical names. Functions, alarms, rules and the dashboard get explicit names (not Pulumi's
 * random suffix) because other things are keyed on them: the `/aws/lambda/<name>` log group is
 * created before its function, the deploy tool looks alarms up by name, and runbooks quote them.
 */

/** AWS limits on the names this program sets. */
export const NAME_LIMITS = {
  lambda: 64,
  alarm: 255,
  eventRule: 64,
  samplingRule: 32,
  sqsQueue: 80,
  snsTopic: 256,
  iamRole: 64,
  restApi: 1024,
  dashboard: 255,
} as const;

export class Naming {
  /** `huntaze-api-<stack>`: the prefix of every physical name of the stack. */
  readonly prefix: string;

  constructor(project: string, stack: string) {
    this.prefix = `${project}-${stack}`;
  }

  /** `huntaze-api-<stack>-<parts…>`, checked against the AWS limit for its kind. */
  name(kind: keyof typeof NAME_LIMITS, ...parts: string[]): string {
    const name = [this.prefix, ...parts].join("-");
    const limit = NAME_LIMITS[kind];
    if (name.length > limit) {
      throw new Error(
        `the ${kind} name "${name}" is ${name.length} characters; AWS allows ${limit}. Use a shorter stack name.`,
      );
    }
    return name;
  }
}

/** `aws`, `aws-cn` or `aws-us-gov`, from the region (saves a provider call per run). */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}
