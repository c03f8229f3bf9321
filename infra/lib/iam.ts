import * as pulumi from "@pulumi/pulumi";

/**
 * An IAM policy statement. Actions are plain strings (never Outputs) so that the
 * no-wildcard-action rule below is checked when the program runs, not after deploy.
 */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: pulumi.Input<string> | pulumi.Input<string>[];
  Condition?: Record<string, Record<string, pulumi.Input<string> | pulumi.Input<string>[]>>;
}

/** A resource-policy statement (key, queue and topic policies): it names a principal. */
export interface ResourcePolicyStatement extends PolicyStatement {
  Principal: { AWS?: pulumi.Input<string>; Service?: string | string[] } | "*";
}

/** `*` or `service:*`: an action wildcard, which least privilege rules out for roles. */
export function isWildcardAction(action: string): boolean {
  return action === "*" || /^[a-z0-9-]+:\*$/i.test(action);
}

/**
 * A role policy document. Throws if a statement allows every action (`*` or `service:*`):
 * least privilege is enforced here, for every function and role this program creates.
 */
export function rolePolicyDocument(
  owner: string,
  statements: PolicyStatement[],
): pulumi.Output<string> {
  for (const statement of statements) {
    const wildcard = statement.Action.find(isWildcardAction);
    if (statement.Effect === "Allow" && wildcard !== undefined) {
      throw new Error(
        `${owner}: IAM statement ${statement.Sid ?? JSON.stringify(statement.Action)} allows "${wildcard}"; list the actions it needs instead`,
      );
    }
  }
  return pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });
}

/** A resource policy (KMS key, SQS queue) document. */
export function resourcePolicyDocument(
  statements: ResourcePolicyStatement[],
): pulumi.Output<string> {
  return pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });
}

/** Trust policy letting one AWS service assume a role. */
export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}
