/**
 * What the migration function does on every deploy that changes `prisma/migrations` (or
 * replaces the database), in order:
 *
 * 1. Connects as the master user, with the RDS-managed master secret (retrying once after a
 *    moment if RDS is rotating it right then).
 * 2. Applies pending migrations with Prisma's own schema engine (the handlers' migrations
 *    library): `_prisma_migrations` ends up as `prisma migrate deploy` would leave it.
 * 3. Bootstraps the application user: on the first deploy the app secret has no value, so a
 *    password is generated here, the role is created with it, and the secret gets its first
 *    version in the AWS rotation format. No password ever passes through Pulumi (config, state
 *    or outputs). Afterwards the rotation function owns the password; this step only restores a
 *    missing role (a replaced or restored instance) and re-points the secret at the instance.
 * 4. Grants the application role data privileges on whatever the migrations created.
 * 5. Keeps the master role's statements out of the server log in this database (the rotation
 *    function changes passwords as that role, in clear), whatever the parameter group says.
 *
 * Any failure throws, with the migration's name and Prisma's error code when a migration
 * failed: the deploy-time invocation then fails the `pulumi up`.
 */
import { randomBytes } from "node:crypto";
import type { ClientConfig } from "pg";
import pg from "pg";
import {
  applyMigrations,
  type MigrationSet,
  migrationSetChecksum,
  type WasmSource,
} from "../lib/migrations";
import { LOCK_TIMEOUT_MS, STATEMENT_TIMEOUT_MS } from "../lib/timeouts";
import {
  grantDataPrivileges,
  grantMembership,
  quietStatementLogging,
  roleExists,
  setRoleTimeouts,
  upsertLoginRole,
} from "./app-role";
import type { SecretStore } from "./secret-store";

/** Where the migrations go: the instance and the two secrets (ARNs from the environment). */
export interface MigrationTarget {
  host: string;
  port: number;
  database: string;
  /** The RDS-managed master secret (`{ username, password }`). */
  masterSecretArn: string;
  /** The application secret (AWS rotation JSON), empty until the first run fills it. */
  appSecretArn: string;
  /** The application user the first run creates. */
  appUsername: string;
}

export interface RunMigrationsOptions {
  target: MigrationTarget;
  secrets: SecretStore;
  migrations: MigrationSet;
  /** TLS settings of every connection (`rds.force_ssl = 1`); `false` for a local test server. */
  ssl: ClientConfig["ssl"];
  /** The checksum the deploy computed; a different one means the bundle is not what was planned. */
  expectedChecksum?: string;
  /** The schema engine's wasm. @default beside the bundle, then node_modules */
  wasm?: WasmSource;
  /** Progress lines (no secret values). @default discarded */
  log?: (message: string, details?: Record<string, unknown>) => void;
  /** @default 32 random bytes, base64url (43 characters of [A-Za-z0-9_-]) */
  generatePassword?: () => string;
  /** Wait before the one retry after an authentication failure. @default 5000 */
  authRetryDelayMs?: number;
}

export interface MigrationReport {
  /** Migrations applied by this run, in order; empty when the database was up to date. */
  applied: string[];
  /** Checksum of the migrations shipped in the bundle. */
  checksum: string;
  /** What happened to the application role. */
  appUser: "created" | "restored" | "unchanged";
  /** Whether the app secret got a new version (first run, or host/port/dbname corrected). */
  appSecretWritten: boolean;
}

export class MigrationRunError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MigrationRunError";
  }
}

/** SecretString of the application user, as the alternating-users rotation function expects. */
export interface AppSecret {
  engine: "postgres";
  host: string;
  port: number;
  dbname: string;
  username: string;
  password: string;
  masterarn: string;
}

const CLONE_SUFFIX = "_clone";
const AUTH_FAILED = "28P01";

function parseJsonObject(raw: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new MigrationRunError(`${what} is not JSON.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MigrationRunError(`${what} is not a JSON object.`);
  }
  return value as Record<string, unknown>;
}

function credentialsOf(raw: string, what: string): { username: string; password: string } {
  const json = parseJsonObject(raw, what);
  const { username, password } = json;
  if (typeof username !== "string" || username === "") {
    throw new MigrationRunError(`${what} has no "username".`);
  }
  if (typeof password !== "string" || password === "") {
    throw new MigrationRunError(`${what} has no "password".`);
  }
  return { username, password };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function runMigrations(options: RunMigrationsOptions): Promise<MigrationReport> {
  const { target } = options;
  const log = options.log ?? (() => {});
  const checksum = migrationSetChecksum(options.migrations);
  if (options.expectedChecksum !== undefined && options.expectedChecksum !== checksum) {
    throw new MigrationRunError(
      `The migrations in this bundle (checksum ${checksum}) are not the ones the deploy planned (${options.expectedChecksum}): redeploy so the function and its invocation match.`,
    );
  }

  const { client, master } = await connectAsMaster(options);
  try {
    log("connected as the master user", { host: target.host, database: target.database });
    const { applied } = await applyMigrations({
      connection: poolConfig(target, master, options.ssl),
      migrations: options.migrations,
      wasm: options.wasm,
    });
    log("migrations applied", { applied, checksum });
    const app = await bootstrapAppUser(client, options);
    await quietMasterLogging(client, master.username, target);
    log("master role's statements kept out of the server log", { database: target.database });
    return { applied, checksum, ...app };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function quietMasterLogging(
  client: pg.Client,
  role: string,
  target: MigrationTarget,
): Promise<void> {
  try {
    await quietStatementLogging(client, role, target.database);
  } catch (err) {
    throw new MigrationRunError(
      `Could not turn statement logging off for the master role "${role}" in ${target.database} (ALTER ROLE … IN DATABASE … SET log_statement/log_min_duration_statement/log_min_error_statement): ${(err as Error).message}. Without it the rotation function's password changes can reach the postgresql log.`,
      { cause: err },
    );
  }
}

export function poolConfig(
  target: MigrationTarget,
  master: { username: string; password: string },
  ssl: ClientConfig["ssl"],
): pg.PoolConfig {
  return {
    host: target.host,
    port: target.port,
    database: target.database,
    user: master.username,
    password: master.password,
    ssl,
    connectionTimeoutMillis: 10_000,
    application_name: "huntaze-api-migrate",
  };
}

/**
 * RDS rotates the master secret on its own schedule; a connection made with the previous
 * version in the minute a rotation takes fails with 28P01. Read the secret again and retry once.
 */
export async function connectAsMaster(
  options: Pick<RunMigrationsOptions, "target" | "secrets" | "ssl" | "authRetryDelayMs">,
): Promise<{ client: pg.Client; master: { username: string; password: string } }> {
  const { target, secrets } = options;
  for (let attempt = 1; ; attempt++) {
    const raw = await secrets.read(target.masterSecretArn);
    if (raw === undefined) {
      throw new MigrationRunError(`The master secret ${target.masterSecretArn} has no value.`);
    }
    const master = credentialsOf(raw, `The master secret ${target.masterSecretArn}`);
    const client = new pg.Client(poolConfig(target, master, options.ssl));
    try {
      await client.connect();
      return { client, master };
    } catch (err) {
      await client.end().catch(() => undefined);
      if ((err as { code?: string }).code === AUTH_FAILED && attempt === 1) {
        await sleep(options.authRetryDelayMs ?? 5000);
        continue;
      }
      throw new MigrationRunError(
        `Could not connect to ${target.host}:${target.port}/${target.database} as the master user: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}

async function bootstrapAppUser(
  client: pg.Client,
  options: RunMigrationsOptions,
): Promise<Pick<MigrationReport, "appUser" | "appSecretWritten">> {
  const { target, secrets } = options;
  const log = options.log ?? (() => {});
  const base = target.appUsername;
  const raw = await secrets.read(target.appSecretArn);

  if (raw === undefined) {
    // First deploy: the secret exists (Pulumi created it) but has no value.
    const password = (options.generatePassword ?? defaultPassword)();
    await inTransaction(client, async () => {
      await upsertLoginRole(client, base, password);
      await grantDataPrivileges(client, { role: base, database: target.database });
      await prepareLoginRoles(client, base);
    });
    // Written after the role exists: a failure here leaves a role whose password nobody knows,
    // which the next run overwrites with a fresh one (the secret is still empty then).
    await secrets.write(target.appSecretArn, JSON.stringify(appSecret(target, base, password)));
    log("application user created", { username: base });
    return { appUser: "created", appSecretWritten: true };
  }

  const current = parseJsonObject(raw, `The app secret ${target.appSecretArn}`);
  const { username, password } = credentialsOf(raw, `The app secret ${target.appSecretArn}`);
  if (username !== base && username !== `${base}${CLONE_SUFFIX}`) {
    throw new MigrationRunError(
      `The app secret ${target.appSecretArn} holds user "${username}", expected "${base}" or "${base}${CLONE_SUFFIX}": database.appUsername changed after the first deploy, which this function does not migrate.`,
    );
  }
  const appUser = await inTransaction(client, async (): Promise<MigrationReport["appUser"]> => {
    let outcome: MigrationReport["appUser"] = "unchanged";
    if (!(await roleExists(client, username))) {
      // A replaced or restored instance: give the secret's current user back its password.
      if (username !== base && !(await roleExists(client, base))) {
        await upsertLoginRole(client, base, defaultPassword()); // privileges holder only
      }
      await upsertLoginRole(client, username, password);
      outcome = "restored";
    }
    await grantDataPrivileges(client, { role: base, database: target.database });
    if (username !== base) await grantMembership(client, base, username);
    await prepareLoginRoles(client, base);
    return outcome;
  });

  const wanted = appSecret(target, username, password);
  const stale = (["engine", "host", "port", "dbname", "masterarn"] as const).filter(
    (field) => String(current[field]) !== String(wanted[field]),
  );
  if (stale.length > 0) {
    // Keep any field the rotation function added; correct where the database now is.
    await secrets.write(target.appSecretArn, JSON.stringify({ ...current, ...wanted }));
    log("app secret re-pointed at the instance", { fields: stale });
  }
  if (appUser === "restored") log("application user restored", { username });
  return { appUser, appSecretWritten: stale.length > 0 };
}

/**
 * Both users of the alternating-users rotation get the statement limit. The `_clone` user is
 * created here (LOGIN, a password nobody knows, member of the base role) if the rotation has not
 * yet: AWS's rotation function then only sets its password, and the role keeps its setting.
 */
async function prepareLoginRoles(client: pg.Client, base: string): Promise<void> {
  const clone = `${base}${CLONE_SUFFIX}`;
  if (!(await roleExists(client, clone))) {
    await upsertLoginRole(client, clone, defaultPassword());
  }
  await grantMembership(client, base, clone);
  for (const role of [base, clone]) {
    await setRoleTimeouts(client, role, {
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: LOCK_TIMEOUT_MS,
    });
  }
}

function appSecret(target: MigrationTarget, username: string, password: string): AppSecret {
  return {
    engine: "postgres",
    host: target.host,
    port: target.port,
    dbname: target.database,
    username,
    password,
    masterarn: target.masterSecretArn,
  };
}

function defaultPassword(): string {
  return randomBytes(32).toString("base64url");
}

async function inTransaction<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await fn();
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}
