import * as path from "node:path";
import { Invocation } from "@pulumi/aws/lambda/invocation";
import * as pulumi from "@pulumi/pulumi";
import type { ApplicationLogLevel, SystemLogLevel } from "../config";
import { type BundleAsset, PROJECT_ROOT } from "../lib/bundle";
import type { PolicyStatement } from "../lib/iam";
import { MIGRATIONS_DIR, migrationAssets, migrationsChecksum } from "../lib/migrations";
import type { FunctionAlarmsInput } from "./alarms";
import { appSecretEnvironment } from "./db-secrets";
import { LambdaFunction, type LambdaFunctionArgs } from "./function";

/** The schema engine's wasm, shipped beside the bundle (handlers/lib/schema-engine.ts looks there). */
const SCHEMA_ENGINE_WASM = "node_modules/@prisma/schema-engine-wasm/schema_engine_bg.wasm";

export interface MigrationsArgs {
  /** Physical function name, `huntaze-api-<stack>-migrate`. */
  functionName: string;
  memoryMb: number;
  /** The deploy waits for the run: at most Lambda's 900 s. */
  timeoutSeconds: number;
  logRetentionInDays: number;
  /**
   * Customer-managed key encrypting the log groups created here; its key policy must let
   * `logs.<region>.amazonaws.com` use it for log groups.
   */
  logsKmsKeyArn: pulumi.Input<string>;
  applicationLogLevel: ApplicationLogLevel;
  systemLogLevel: SystemLogLevel;
  /** Key of the function's environment (identifiers only). */
  environmentKmsKeyArn: pulumi.Input<string>;
  /** Variables every function gets (`STAGE`, `POWERTOOLS_SERVICE_NAME`, …). @default {} */
  environment?: Record<string, pulumi.Input<string>>;
  /** The database is private: the function runs beside it. */
  vpc: { subnetIds: pulumi.Input<string>[]; securityGroupIds: pulumi.Input<string>[] };
  database: {
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    name: string;
    /** RDS's `resourceId`: a replaced instance (empty) gets the migrations again. */
    resourceId: pulumi.Input<string>;
  };
  /** The RDS-managed master secret (read only). */
  masterSecretArn: pulumi.Input<string>;
  /** The app secret: read, and written on the first run (user bootstrap). */
  appSecretArn: pulumi.Input<string>;
  /** The application user the first run creates. */
  appUsername: string;
  /** Key of both secrets. */
  secretsKmsKeyArn: pulumi.Input<string>;
  region: string;
  /**
   * Resources the run needs besides the function (the instance, the endpoints, the security
   * group rules): the invocation waits for them.
   * @default []
   */
  runAfter?: pulumi.Input<pulumi.Resource>[];
  /** @default "prisma/migrations" */
  migrationsDir?: string;
  /** Bundler settings (tests). @default the project's `.build/` */
  bundle?: LambdaFunctionArgs["bundle"];
}

/** A run nearing its timeout is about to fail: its duration alarm fires at this share of it. */
const DURATION_ALARM_SHARE = 0.8;

/** The migration function's answer (handlers/migrate.ts `MigrationReport`). */
interface MigrationResult {
  applied?: unknown;
}

/**
 * Migrations on deploy. The database is private, so a CI runner cannot run
 * `prisma migrate deploy` against it; a function in the VPC applies `prisma/migrations` (shipped
 * in its bundle) with the project's migration code — Prisma's own schema engine — and the stack
 * invokes it synchronously while deploying (`aws.lambda.Invocation`):
 *
 * - **Only when needed**: the invocation is keyed (`triggers`) on the migrations' checksum, the
 *   instance's `resourceId` and the app secret. Any change replaces the invocation, which runs
 *   the function again; otherwise a deploy does not invoke it.
 * - **A failure fails the deploy**: the handler throws, Lambda reports a function error, and the
 *   provider fails the resource with the handler's message (which names the migration).
 * - **Result**: `migrationsApplied` — the names the last run applied.
 */
export class Migrations extends pulumi.ComponentResource {
  readonly fn: LambdaFunction;
  readonly invocation: Invocation;
  /** SHA-256 over the migrations (names, SQL, lock file). */
  readonly checksum: string;
  /** Migrations applied by the last run (empty when the database was up to date). */
  readonly applied: pulumi.Output<string[]>;
  /**
   * The function's alarms: it runs once per deploy that changes the migrations, so it is
   * evaluated as a scheduled function (one failure is the whole signal), its duration p95 at
   * 80 % of its timeout.
   */
  readonly alarmsInput: FunctionAlarmsInput;

  constructor(name: string, args: MigrationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:Migrations", name, {}, opts);
    const parent = this;

    const dir = args.migrationsDir ?? MIGRATIONS_DIR;
    const assets = normalizeAssets();
    this.checksum = migrationsChecksum(dir);
    this.fn = createFunction();
    this.invocation = createInvocation(this.fn, this.checksum);
    this.applied = this.invocation.result.apply(parseApplied);
    this.alarmsInput = this.fn.alarmsInput({
      subject: "migrate",
      invocation: "scheduled",
      durationP95Ms: Math.round(args.timeoutSeconds * 1000 * DURATION_ALARM_SHARE),
    });

    this.registerOutputs({ checksum: this.checksum, applied: this.applied });

    function normalizeAssets(): BundleAsset[] {
      if (args.timeoutSeconds > 900) {
        throw new Error(`${name}: timeoutSeconds ${args.timeoutSeconds} exceeds Lambda's 900 s`);
      }
      const wasm = path.join(PROJECT_ROOT, SCHEMA_ENGINE_WASM);
      return [{ source: wasm, target: "schema_engine_bg.wasm" }, ...migrationAssets(dir)];
    }

    function secretStatements(): PolicyStatement[] {
      const viaSecretsManager = `secretsmanager.${args.region}.amazonaws.com`;
      return [
        {
          // First run: give the empty app secret its value. Never the master secret.
          Sid: "BootstrapAppSecret",
          Effect: "Allow",
          Action: ["secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue"],
          Resource: args.appSecretArn,
        },
        {
          // Only through Secrets Manager, and only for these two secrets.
          Sid: "UseKeyOfDatabaseSecrets",
          Effect: "Allow",
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: args.secretsKmsKeyArn,
          Condition: {
            StringEquals: {
              "kms:ViaService": viaSecretsManager,
              "kms:EncryptionContext:SecretARN": [args.masterSecretArn, args.appSecretArn],
            },
          },
        },
      ];
    }

    function createFunction(): LambdaFunction {
      return new LambdaFunction(
        `${name}-function`,
        {
          functionName: args.functionName,
          entry: "handlers/migrate.ts",
          description:
            "huntaze-api: applies prisma/migrations and bootstraps the app user (invoked on deploy)",
          memoryMb: args.memoryMb,
          timeoutSeconds: args.timeoutSeconds,
          // One run at a time (Prisma also takes an advisory lock).
          reservedConcurrency: 1,
          logRetentionInDays: args.logRetentionInDays,
          logsKmsKeyArn: args.logsKmsKeyArn,
          applicationLogLevel: args.applicationLogLevel,
          systemLogLevel: args.systemLogLevel,
          kmsKeyArn: args.environmentKmsKeyArn,
          environment: {
            ...args.environment,
            DB_HOST: args.database.host,
            DB_PORT: pulumi.output(args.database.port).apply(String),
            DB_NAME: args.database.name,
            DB_APP_USERNAME: args.appUsername,
            MASTER_SECRET_ARN: args.masterSecretArn,
            ...appSecretEnvironment(args.appSecretArn),
          },
          vpc: args.vpc,
          readSecretArns: [args.masterSecretArn, args.appSecretArn],
          extraStatements: secretStatements(),
          bundle: { ...args.bundle, assets },
        },
        { parent },
      );
    }

    function createInvocation(fn: LambdaFunction, checksum: string): Invocation {
      return new Invocation(
        `${name}-run`,
        {
          functionName: fn.function.name,
          // The handler refuses to run if its bundled migrations have another checksum.
          input: JSON.stringify({ checksum }),
          // A change of any of these replaces the invocation: the function runs again.
          triggers: {
            migrationsChecksum: checksum,
            databaseResourceId: args.database.resourceId,
            appSecretArn: args.appSecretArn,
          },
          // CREATE_ONLY (the default): invoked when created or replaced, never on delete.
          lifecycleScope: "CREATE_ONLY",
        },
        { parent, dependsOn: [fn.function, ...(args.runAfter ?? [])] },
      );
    }

    function parseApplied(result: string): string[] {
      let parsed: MigrationResult;
      try {
        parsed = JSON.parse(result) as MigrationResult;
      } catch {
        throw new Error(`${name}: the migration function returned something that is not JSON`);
      }
      const applied = parsed.applied;
      if (!Array.isArray(applied) || !applied.every((n) => typeof n === "string")) {
        throw new Error(`${name}: the migration function's result has no "applied" list`);
      }
      return applied;
    }
  }
}
