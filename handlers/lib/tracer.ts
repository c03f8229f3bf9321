/**
 * X-Ray tracing (Powertools Tracer over aws-xray-sdk-core), one instance per runtime.
 *
 * Outside Lambda (dev server, tests, scripts) Powertools disables tracing by itself
 * (no `AWS_EXECUTION_ENV`), and every helper here becomes a plain call. There, Powertools and
 * the X-Ray SDK (with its async-hooks context) are not even loaded: a disabled stand-in with the
 * same answers takes their place, which keeps them out of local cold starts.
 */
import type { Tracer } from "@aws-lambda-powertools/tracer";

export type { Tracer } from "@aws-lambda-powertools/tracer";

/** What a Powertools Tracer answers when tracing is disabled, for the methods this code uses. */
const DISABLED_TRACER = {
  isTracingEnabled: () => false,
  annotateColdStart: () => undefined,
  addServiceNameAnnotation: () => undefined,
  putAnnotation: () => undefined,
  putMetadata: () => undefined,
  getSegment: () => undefined,
  setSegment: () => undefined,
} as unknown as Tracer;

export function createTracer(
  serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? "huntaze-api",
): Tracer {
  if (!process.env.AWS_EXECUTION_ENV) return DISABLED_TRACER;
  const { Tracer: PowertoolsTracer } =
    require("@aws-lambda-powertools/tracer") as typeof import("@aws-lambda-powertools/tracer");
  return new PowertoolsTracer({ serviceName });
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
