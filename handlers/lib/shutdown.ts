/**
 * Graceful shutdown: on SIGTERM, close what holds connections (the Prisma client and its pool)
 * before the runtime goes away, so PostgreSQL does not keep the session until its timeout.
 *
 * Lambda sends SIGTERM to the runtime only when at least one extension is registered (e.g. the
 * Lambda Insights or ADOT layer); without one, the environment is frozen and reclaimed, and its
 * session stays open on the server until TCP keepalive notices, or until `idle_session_timeout`
 * if the parameter group sets it.
 */
import type { Logger } from "./logger";

const closers = new Set<() => Promise<void>>();
let installed = false;

/** Registers `close` to run once on SIGTERM (and returns a function that unregisters it). */
export function onShutdown(close: () => Promise<void>, logger?: Logger): () => void {
  closers.add(close);
  if (!installed) {
    installed = true;
    process.once("SIGTERM", () => {
      logger?.info("SIGTERM: closing database connections");
      void runShutdown().finally(() => process.exit(0));
    });
  }
  return () => closers.delete(close);
}

/** Runs every registered closer once (errors are swallowed: we are going away anyway). */
export async function runShutdown(): Promise<void> {
  const pending = [...closers];
  closers.clear();
  await Promise.allSettled(pending.map((close) => close()));
}
