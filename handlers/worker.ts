/**
 * Entry point of the worker function (`huntaze-api-<stack>-worker`), invoked asynchronously by
 * the schedule: rolls up yesterday's revenue (UTC, relative to the event's time), or the day
 * named in `{ "day": "YYYY-MM-DD" }` (backfills, replays from the dead-letter queue).
 *
 * A failure throws: Lambda retries the async invocation, then sends it to the DLQ (which is
 * alarmed). The roll-up is idempotent, so retries are safe.
 */
import type { Context } from "aws-lambda";
import * as z from "zod/mini";
import { type RollupResult, rollUpDailyRevenue } from "./jobs/daily-revenue";
import { logger as defaultLogger, type Logger } from "./lib/logger";
import { type Database, getDatabase } from "./lib/prisma";
import { onShutdown } from "./lib/shutdown";
import { tracer as defaultTracer, inSubsegment, type Tracer } from "./lib/tracer";

const DAY_MS = 86_400_000;

const eventSchema = z.union([
  z.object({ day: z.iso.date() }),
  z.object({ time: z.iso.datetime() }), // EventBridge scheduled event (and any event with a time)
]);

export class WorkerEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerEventError";
  }
}

/** The day an event asks for: its `day`, else the UTC day before its `time`. */
export function dayToRollUp(event: unknown): string {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    throw new WorkerEventError(
      'The worker expects an EventBridge scheduled event (with "time") or {"day":"YYYY-MM-DD"}.',
    );
  }
  if ("day" in parsed.data) return parsed.data.day;
  const previous = new Date(Date.parse(parsed.data.time) - DAY_MS);
  return previous.toISOString().slice(0, 10);
}

export interface WorkerOptions {
  database: Database | (() => Database);
  logger: Logger;
  tracer: Tracer;
}

export function createWorkerHandler(options: WorkerOptions) {
  const { logger, tracer } = options;
  let database: Database | undefined =
    typeof options.database === "function" ? undefined : options.database;
  const handle = async (event: unknown, context?: Context): Promise<RollupResult> => {
    if (context) {
      context.callbackWaitsForEmptyEventLoop = false;
      logger.addContext(context);
    }
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      const day = dayToRollUp(event);
      database ??= (options.database as () => Database)();
      const db = database;
      const result = await inSubsegment(
        tracer,
        "### daily-revenue rollup",
        () => rollUpDailyRevenue(db, day),
        { day },
      );
      logger.info("daily revenue rolled up", { ...result });
      return result;
    } catch (err) {
      // Rethrown: Lambda retries the async invocation, then sends the event to the DLQ.
      logger.error("daily revenue roll-up failed", { error: err as Error });
      throw err;
    }
  };
  return (event: unknown, context?: Context): Promise<RollupResult> =>
    inSubsegment(tracer, `## ${process.env._HANDLER ?? "handler"}`, () => handle(event, context));
}

export const handler = createWorkerHandler({
  database: () => {
    // A roll-up scans a whole day: the API's 4-5 s query limits would cut it (the function
    // itself may run for minutes).
    const database = getDatabase({ statementTimeoutMs: 120_000, queryTimeoutMs: 150_000 });
    onShutdown(() => database.disconnect(), defaultLogger);
    return database;
  },
  logger: defaultLogger,
  tracer: defaultTracer,
});
