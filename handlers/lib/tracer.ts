/**
 * X-Ray tracing (Powertools Tracer over aws-xray-sdk-core), one instance per runtime.
 *
 * Outside Lambda (dev server, tests, scripts) Powertools disables tracing by itself
 * (no `AWS_EXECUTION_ENV`), and every helper here becomes a plain call.
 */
import { Tracer } from "@aws-lambda-powertools/tracer";

export type { Tracer } from "@aws-lambda-powertools/tracer";

export function createTracer(
  serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? "huntaze-api",
): Tracer {
  return new Tracer({ serviceName });
}

/** The runtime's tracer. */
export const tracer = createTracer();

/**
 * Runs `fn` inside a new subsegment of the current (sub)segment, recording its error, and
 * restores the parent afterwards. No-op when tracing is off or no segment is active.
 */
export async function inSubsegment<T>(
  tracer: Tracer,
  name: string,
  fn: () => Promise<T>,
  annotations: Record<string, string | number | boolean> = {},
): Promise<T> {
  if (!tracer.isTracingEnabled()) return fn();
  const parent = tracer.getSegment();
  if (!parent) return fn();
  const subsegment = parent.addNewSubsegment(name);
  for (const [key, value] of Object.entries(annotations)) subsegment.addAnnotation(key, value);
  tracer.setSegment(subsegment);
  try {
    return await fn();
  } catch (err) {
    subsegment.addError(err as Error);
    throw err;
  } finally {
    subsegment.close();
    tracer.setSegment(parent);
  }
}
