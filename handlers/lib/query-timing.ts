/**
 * A Prisma client extension (`$extends` query hook) around every operation, model or raw:
 * times it, logs the slow ones with model/operation/duration (never arguments: they carry
 * user data), and wraps it in an X-Ray subsegment when tracing is on.
 */
import { Prisma } from "../generated/prisma/client";
import type { Logger } from "./logger";
import { recordSlowQuery } from "./metrics";
import { inSubsegment, type Tracer } from "./tracer";

export interface QueryTimingOptions {
  logger: Logger;
  tracer: Tracer;
  /** Operations at least this slow are logged at WARN. */
  slowQueryMs: number;
  /** Receives every operation's timing (the per-request stats). */
  onOperation?: (timing: OperationTiming) => void;
}

export interface OperationTiming {
  /** Model name, or `$raw` for `$queryRaw`/`$executeRaw`. */
  model: string;
  operation: string;
  durationMs: number;
}

export function queryTiming(options: QueryTimingOptions) {
  const { logger, tracer, slowQueryMs, onOperation } = options;
  return Prisma.defineExtension({
    name: "query-timing",
    query: {
      async $allOperations({ model, operation, args, query }) {
        const name = model ?? "$raw";
        const started = performance.now();
        try {
          return await inSubsegment(tracer, `## prisma ${name}.${operation}`, () => query(args), {
            model: name,
            operation,
          });
        } finally {
          const durationMs = Math.round((performance.now() - started) * 100) / 100;
          onOperation?.({ model: name, operation, durationMs });
          if (durationMs >= slowQueryMs) {
            logger.warn("slow query", { model: name, operation, durationMs, slowQueryMs });
            // The WARN line is dropped at prod's ERROR level; the metric is not.
            recordSlowQuery({ model: name, operation, durationMs });
          }
        }
      },
    },
  });
}
