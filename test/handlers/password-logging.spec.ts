/**
 * No path logs a password: on a real PostgreSQL that logs every statement (the worst parameter
 * group: `log_statement = all`, `log_min_duration_statement = 0`, so every statement counts as
 * slow), the migration function creates the application user (a SCRAM verifier, never the
 * password) and sets the master role's logging defaults; afterwards the rotation function's
 * `ALTER USER … WITH PASSWORD '<plaintext>'`, run as the master role, reaches the server log
 * neither when it succeeds nor when it fails. A control run before the migration shows the same
 * statement is logged in clear without those defaults, so the test can fail.
 */
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { loadMigrationsFromDir } from "../../handlers/lib/migrations";
import { QUIET_STATEMENT_LOGGING } from "../../handlers/migration/app-role";
import { runMigrations } from "../../handlers/migration/run";
import type { SecretStore } from "../../handlers/migration/secret-store";
import {
  type EmbeddedServer,
  startEmbeddedPostgres,
  withClient,
  withDatabase,
} from "../../tools/dev/embedded-postgres";

const MASTER_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-logs-AbCdEf";
const APP_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:huntaze-api-logs-app-XyZ";

class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  async read(id: string): Promise<string | undefined> {
    return this.values.get(id);
  }
  async write(id: string, value: string): Promise<void> {
    this.values.set(id, value);
  }
}

describe("passwords never reach the PostgreSQL log", function () {
  this.timeout(120_000);
  let server: EmbeddedServer;
  const log: string[] = [];
  const database = "huntaze_logs";
  const master = { username: "huntaze_master", password: `m-${randomBytes(12).toString("hex")}` };
  const masterUrl = () => {
    const u = new URL(withDatabase(server.adminUrl, database));
    u.username = master.username;
    u.password = master.password;
    return u.toString();
  };

  /** Waits until the server has written everything so far: a marker logged by the admin. */
  async function flushLog(): Promise<string> {
    const marker = `flush-${randomBytes(6).toString("hex")}`;
    await withClient(server.adminUrl, (c) => c.query(`SELECT '${marker}'`));
    for (let i = 0; i < 100 && !log.join("").includes(marker); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(log.join("").includes(marker), "the server log is captured");
    return log.join("");
  }

  /** What the rotation function does to the clone user, as the master role, in a new session. */
  async function rotate(user: string, password: string): Promise<void> {
    await withClient(masterUrl(), (c) => c.query(`ALTER USER ${user} WITH PASSWORD '${password}'`));
  }

  before(async () => {
    server = await startEmbeddedPostgres({
      settings: {
        log_statement: "all",
        log_min_duration_statement: "0",
        log_min_error_statement: "error",
      },
      onLog: (line) => log.push(line),
    });
    await withClient(server.adminUrl, async (c) => {
      // The RDS master: not a superuser, may create roles, owns the database, and may set the
      // logging parameters (rds_superuser may on RDS).
      await c.query(
        `CREATE ROLE ${master.username} LOGIN CREATEROLE PASSWORD '${master.password}'`,
      );
      await c.query(`CREATE DATABASE ${database} OWNER ${master.username}`);
      await c.query(
        `GRANT SET ON PARAMETER ${Object.keys(QUIET_STATEMENT_LOGGING).join(", ")} TO ${master.username}`,
      );
    });
    // Created by the master, as the rotation's clone is (PostgreSQL 16+: only then may it alter it).
    await withClient(masterUrl(), (c) => c.query("CREATE ROLE app_control LOGIN"));
  });
  after(() => server?.stop());

  it("logs a password change in clear without the master role's defaults (the control)", async () => {
    const control = `control-${randomBytes(8).toString("hex")}`;
    await rotate("app_control", control);
    assert.ok((await flushLog()).includes(control), "the unprotected statement is logged");
  });

  it("logs neither the app user's password nor the rotation's, succeeding or failing, once the migration function ran", async () => {
    const secrets = new MemorySecrets();
    secrets.values.set(MASTER_ARN, JSON.stringify(master));
    const appPassword = `app-${randomBytes(16).toString("hex")}`;
    const report = await runMigrations({
      target: {
        host: "127.0.0.1",
        port: server.port,
        database,
        masterSecretArn: MASTER_ARN,
        appSecretArn: APP_ARN,
        appUsername: "huntaze_app",
      },
      secrets,
      migrations: await loadMigrationsFromDir("prisma/migrations"),
      ssl: false,
      generatePassword: () => appPassword,
      authRetryDelayMs: 10,
    });
    assert.equal(report.appUser, "created");

    // The alternating-users rotation: the migration function created the clone already (the
    // rotation then only sets passwords); set both, as the master.
    const rotated = `rotated-${randomBytes(8).toString("hex")}`;
    const failed = `failed-${randomBytes(8).toString("hex")}`;
    await rotate("huntaze_app_clone", rotated);
    await rotate("huntaze_app", rotated);
    await assert.rejects(rotate("no_such_user", failed), /does not exist/);

    const text = await flushLog();
    for (const secret of [appPassword, rotated, failed]) {
      assert.ok(!text.includes(secret), `a password reached the log: ${secret.split("-")[0]}`);
    }
    // The users work with the rotated password: the statements ran, only their logging is off.
    const u = new URL(masterUrl());
    u.username = "huntaze_app_clone";
    u.password = rotated;
    assert.deepEqual(
      await withClient(u.toString(), (c) => c.query("SELECT 1 AS ok").then((r) => r.rows)),
      [{ ok: 1 }],
    );
  });
});
