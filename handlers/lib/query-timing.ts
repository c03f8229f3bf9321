/**
 * A Prisma client extension (`$extends` query hook) around every operation, model or raw:
 * times it, logs the slow ones with model/operation/duration (never arguments: they carry
 * user data), and wraps it in an X-Ray subsegment when tracing is on.
 *
 * A raw statement is named by its leading comment, `/* Model.name *\/ SELECT …` (the read routes'
 * pages: `Fan.page`, `Message.page`), so its logs, metrics and subsegment say which query it
 * was; an unnamed one is `$raw.$queryRaw`. The comment also shows in PostgreSQL's own views.
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
  /** Model name; for raw SQL the statement's named model (see rawStatementName), else `$raw`. */
  model: string;
  operation: string;
  durationMs: number;
}

/** `Model.name` from a raw statement's leading `/* Model.name *\/` comment, if it has one. */
export function rawStatementName(args: unknown): { model: string; operation: string } | undefined {
  const strings = (args as { strings?: unknown } | undefined)?.strings;
  const head = Array.isArray(strings) && typeof strings[0] === "string" ? strings[0] : "";
  const match = /^\s*\/\*\s*([A-Z]\w*)\.(\w+)\s*\*\//.exec(head);
  return match ? { model: match[1], operation: match[2] } : undefined;
}

export function queryTiming(options: QueryTimingOptions) {
  const { logger, tracer, slowQueryMs, onOperation } = options;
  return Prisma.defineExtension({
    name: "query-timing",
    query: {
      async $allOperations({ model, operation: prismaOperation, args, query }) {
        const named = model === undefined ? rawStatementName(args) : undefined;
        const name = named?.model ?? model ?? "$raw";
        const operation = named?.operation ?? prismaOperation;
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
