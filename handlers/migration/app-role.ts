/**
 * The application's PostgreSQL role: created by the migration function (the only code that
 * holds the master credentials), with data privileges only — no DDL, no access to Prisma's
 * migration history. `<user>_clone`, the alternating-users rotation's second user, is a member of
 * this role (`GRANT <user> TO <user>_clone`), so both users always have the same privileges; the
 * migration function creates it ahead of the rotation so that it carries the role-level settings.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import type { ClientBase } from "pg";

/** Prisma's history table: the application has no business reading or changing it. */
const MIGRATIONS_TABLE = "_prisma_migrations";

/**
 * A SCRAM-SHA-256 verifier of `password`, as PostgreSQL stores it (`SCRAM-SHA-256$<iterations>:
 * <salt>$<StoredKey>:<ServerKey>`, RFC 5802/7677). Sending the verifier instead of the password
 * keeps the password out of the server's statement logs (`log_min_duration_statement` logs
 * slow statements verbatim, a `CREATE ROLE … PASSWORD` included). PostgreSQL stores a value
 * already in this form as is, and authenticates the plaintext against it (SCRAM, or md5 in
 * pg_hba, which falls back to SCRAM for such passwords). ASCII passwords only: PostgreSQL's
 * SASLprep leaves them unchanged, so no normalisation is needed here.
 */
export function scramSha256Verifier(
  password: string,
  salt: Buffer = randomBytes(16),
  iterations = 4096,
): string {
  if (!/^[\x20-\x7e]+$/.test(password)) {
    throw new Error("scramSha256Verifier: the password must be printable ASCII");
  }
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/**
 * Runs a utility statement with identifiers and literals quoted by PostgreSQL itself
 * (`format()` with `%I`/`%L`): utility statements take no bind parameters.
 */
async function execFormatted(
  client: ClientBase,
  template: string,
  ...args: string[]
): Promise<void> {
  const placeholders = args.map((_, i) => `$${i + 1}::text`).join(", ");
  const { rows } = await client.query<{ sql: string }>(
    `SELECT format('${template.replaceAll("'", "''")}', ${placeholders}) AS sql`,
    args,
  );
  await client.query(rows[0]!.sql);
}

export async function roleExists(client: ClientBase, role: string): Promise<boolean> {
  const { rowCount } = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
  return (rowCount ?? 0) > 0;
}

/** Creates `role` (LOGIN) with the password's verifier, or sets it on an existing role. */
export async function upsertLoginRole(
  client: ClientBase,
  role: string,
  password: string,
): Promise<"created" | "updated"> {
  const verifier = scramSha256Verifier(password);
  if (await roleExists(client, role)) {
    await execFormatted(client, "ALTER ROLE %I WITH LOGIN PASSWORD %L", role, verifier);
    return "updated";
  }
  await execFormatted(client, "CREATE ROLE %I WITH LOGIN PASSWORD %L", role, verifier);
  return "created";
}

/** Makes `member` (the rotation's `_clone` user) hold `role`'s privileges. */
export async function grantMembership(
  client: ClientBase,
  role: string,
  member: string,
): Promise<void> {
  await execFormatted(client, "GRANT %I TO %I", role, member);
}

/**
 * Server-side `statement_timeout` and `lock_timeout` for every session `role` opens. Set on the
 * role rather than sent by the client: RDS Proxy refuses startup parameters such as these, and a
 * `SET` would pin the session (docs/CONNECTIONS.md).
 */
export async function setRoleTimeouts(
  client: ClientBase,
  role: string,
  limits: { statementTimeoutMs: number; lockTimeoutMs: number },
): Promise<void> {
  await execFormatted(
    client,
    "ALTER ROLE %I SET statement_timeout = %L",
    role,
    `${limits.statementTimeoutMs}ms`,
  );
  await execFormatted(
    client,
    "ALTER ROLE %I SET lock_timeout = %L",
    role,
    `${limits.lockTimeoutMs}ms`,
  );
}

/**
 * Data privileges on the schema, for the tables and sequences that exist now (the migrations
 * just ran) and, through default privileges, for those the next migrations create. Idempotent.
 */
export async function grantDataPrivileges(
  client: ClientBase,
  options: { role: string; database: string; schema?: string },
): Promise<void> {
  const { role, database } = options;
  const schema = options.schema ?? "public";
  await execFormatted(client, "GRANT CONNECT ON DATABASE %I TO %I", database, role);
  await execFormatted(client, "GRANT USAGE ON SCHEMA %I TO %I", schema, role);
  await execFormatted(
    client,
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I",
    schema,
    role,
  );
  await execFormatted(
    client,
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I",
    schema,
    role,
  );
  await execFormatted(
    client,
    "ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I",
    schema,
    role,
  );
  await execFormatted(
    client,
    "ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I",
    schema,
    role,
  );
  const { rowCount } = await client.query(
    "SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2",
    [schema, MIGRATIONS_TABLE],
  );
  if ((rowCount ?? 0) > 0) {
    await execFormatted(
      client,
      "REVOKE ALL ON TABLE %I.%I FROM %I",
      schema,
      MIGRATIONS_TABLE,
      role,
    );
  }
}

/**
 * Session defaults for `role` in `database` that keep its statements out of the server log:
 * the rotation function changes passwords as this role (the alternating-users rotation connects
 * with the master secret and runs `ALTER USER … WITH PASSWORD '<plaintext>'`), and PostgreSQL
 * would log that statement verbatim when it is slow (`log_min_duration_statement`), when
 * `log_statement` covers DDL, or when it fails (`log_min_error_statement`, ERROR by default). A
 * role-in-database setting outranks the parameter group and any database default, and applies
 * to every new session of the role there. The cost: the master role's own statements
 * (migrations) are not logged in this database either; the migration function reports what it
 * applied.
 */
export const QUIET_STATEMENT_LOGGING = {
  log_statement: "none",
  log_min_duration_statement: "-1",
  log_min_error_statement: "panic",
} as const;

export async function quietStatementLogging(
  client: ClientBase,
  role: string,
  database: string,
): Promise<void> {
  for (const [name, value] of Object.entries(QUIET_STATEMENT_LOGGING)) {
    // The parameter name is one of the constants above, never input.
    await execFormatted(
      client,
      `ALTER ROLE %I IN DATABASE %I SET ${name} = %L`,
      role,
      database,
      value,
    );
  }
}
