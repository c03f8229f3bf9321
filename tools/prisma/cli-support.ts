/** Small helpers shared by the tools/prisma scripts. */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { EXIT_FAILED, ToolError, usageError } from "../lib/errors";

export const ROOT = resolve(__dirname, "..", "..");
export const MIGRATIONS_DIR = join(ROOT, "prisma", "migrations");
export const SCHEMA_FILE = join(ROOT, "prisma", "schema.prisma");

/** Where a running `npm run dev` writes its throwaway database's URL (deleted on exit). */
export const DEV_DATABASE_URL_FILE = join(ROOT, ".build", "dev-database-url");

/** DATABASE_URL, else the URL of the database a running `npm run dev` started. */
export function requireDatabaseUrl(command: string): string {
  const url = process.env.DATABASE_URL?.trim();
  if (url) return url;
  let dev: string | undefined;
  try {
    dev = readFileSync(DEV_DATABASE_URL_FILE, "utf8").trim();
  } catch {
    dev = undefined;
  }
  if (dev) {
    process.stderr.write(`${command}: DATABASE_URL is not set; using the npm run dev database.\n`);
    return dev;
  }
  throw usageError(
    `${command} needs DATABASE_URL (postgresql://user:password@host:5432/database). For a local database, start \`npm run dev\` in another terminal: while it runs, this command uses its database.`,
  );
}

export async function readSchema(): Promise<{ path: string; content: string }> {
  return { path: "schema.prisma", content: await readFile(SCHEMA_FILE, "utf8") };
}

const EXPECTED_ERRORS = new Set(["SeedError", "SchemaEngineError", "ConfigError", "SecretError"]);

/** Runs a CLI `main`, printing errors without a stack for usage errors; sets the exit code. */
export function runMain(main: () => Promise<number | undefined>): void {
  main()
    .then((code) => {
      process.exitCode = code ?? 0;
    })
    .catch((err: unknown) => {
      // Our own errors carry a message meant for the user; anything else gets its stack.
      const expected =
        err instanceof ToolError || (err instanceof Error && EXPECTED_ERRORS.has(err.name));
      const message =
        err instanceof Error ? (expected ? err.message : (err.stack ?? err.message)) : String(err);
      process.stderr.write(`error: ${message}\n`);
      process.exitCode = err instanceof ToolError ? err.exitCode : EXIT_FAILED;
    });
}

/** `postgresql://user:***@host:port/db`: safe to print. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}
