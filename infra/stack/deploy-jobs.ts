import { Migrations } from "../components/migrations";
import { SecretRotations } from "../components/secret-rotation";
import type { DataTier } from "./data-tier";
import type { StackFunctions } from "./functions";
import type { StackKeys, StackScope } from "./scope";

/**
 * What runs on deploy: the schema migrations (which also give the app secret its first value),
 * then the secrets' rotation schedules.
 */
export interface DeployJobs {
  migrations: Migrations;
  rotations: SecretRotations;
}

export function createDeployJobs(
  { cfg, naming, region }: StackScope,
  { key, dataKey, logs }: StackKeys,
  { network, database, dbSecrets }: DataTier,
  { environment }: StackFunctions,
): DeployJobs {
  const migrations = new Migrations("migrations", {
    functionName: naming.name("lambda", "migrate"),
    memoryMb: cfg.migrations.memoryMb,
    timeoutSeconds: cfg.migrations.timeoutSeconds,
    ...logs,
    applicationLogLevel: cfg.logs.applicationLogLevel,
    systemLogLevel: cfg.logs.systemLogLevel,
    environmentKmsKeyArn: key.arn,
    environment,
    vpc: network.directVpc,
    database: {
      host: database.address,
      port: database.port,
      name: cfg.database.databaseName,
      resourceId: database.instance.resourceId,
    },
    masterSecretArn: database.masterSecretArn,
    appSecretArn: dbSecrets.appSecretArn,
    appUsername: cfg.database.appUsername,
    secretsKmsKeyArn: dataKey.arn,
    region,
    // The run needs the instance and a network path to it and to Secrets Manager.
    runAfter: [database.instance, ...network.paths],
  });
  const rotations = new SecretRotations("db-rotation", {
    appSecretArn: dbSecrets.appSecretArn,
    rotationLambdaArn: dbSecrets.rotationLambdaArn,
    appRotationDays: cfg.database.appRotationDays,
    masterSecretArn: database.masterSecretArn,
    masterRotationDays: cfg.database.masterRotationDays,
    // Rotation starts once the migration run has given the app secret its first value.
    startAfter: [migrations.invocation],
  });
  return { migrations, rotations };
}
