import { SecretRotation } from "@pulumi/aws/secretsmanager/secretRotation";
import * as pulumi from "@pulumi/pulumi";

export interface SecretRotationsArgs {
  /** The application secret (alternating users). */
  appSecretArn: pulumi.Input<string>;
  /** The alternating-users rotation function. */
  rotationLambdaArn: pulumi.Input<string>;
  /** Days between rotations of the application secret. */
  appRotationDays: number;
  /** The RDS-managed master secret. */
  masterSecretArn: pulumi.Input<string>;
  /** Days between RDS's managed rotations of the master secret (RDS's own default is 7). */
  masterRotationDays: number;
  /**
   * What must be done before the first rotation: the migration run that gives the app secret
   * its first value. (A component's own `dependsOn` does not hold its children back.)
   * @default []
   */
  startAfter?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The rotation schedules of both database secrets, stated in code:
 *
 * - **Application secret**: alternating users through the rotation function, every
 *   `appRotationDays`. It rotates once right away (`rotateImmediately`), so a broken rotation
 *   set-up shows during the deploy, not a month later; `startAfter` holds it back until the
 *   migration function has given the secret its first value (rotating an empty secret fails).
 * - **Master secret**: RDS's managed rotation (no Lambda), on an explicit schedule so reviewers
 *   and the policy pack see it. Not rotated on deploy: the migration function may be using the
 *   master password at that very moment.
 */
export class SecretRotations extends pulumi.ComponentResource {
  readonly appRotation: SecretRotation;
  readonly masterRotation: SecretRotation;

  constructor(name: string, args: SecretRotationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:SecretRotations", name, {}, opts);
    const parent = this;

    normalizeSchedules();
    this.appRotation = createAppRotation();
    this.masterRotation = createMasterRotation();
    this.registerOutputs({
      appRotationDays: args.appRotationDays,
      masterRotationDays: args.masterRotationDays,
    });

    function normalizeSchedules(): void {
      for (const [field, days] of [
        ["appRotationDays", args.appRotationDays],
        ["masterRotationDays", args.masterRotationDays],
      ] as const) {
        if (!Number.isInteger(days) || days < 1 || days > 1000) {
          throw new Error(`${name}: ${field} must be a whole number of days in [1, 1000]`);
        }
      }
    }

    function createAppRotation(): SecretRotation {
      return new SecretRotation(
        `${name}-app`,
        {
          secretId: args.appSecretArn,
          rotationLambdaArn: args.rotationLambdaArn,
          rotationRules: { automaticallyAfterDays: args.appRotationDays },
          rotateImmediately: true,
        },
        { parent, dependsOn: args.startAfter ?? [] },
      );
    }

    function createMasterRotation(): SecretRotation {
      return new SecretRotation(
        `${name}-master`,
        {
          secretId: args.masterSecretArn,
          // No rotationLambdaArn: the secret is managed by RDS, which rotates it itself.
          rotationRules: { automaticallyAfterDays: args.masterRotationDays },
          rotateImmediately: false,
        },
        { parent },
      );
    }
  }
}
