/**
 * The HTTP shapes routes work with, independent of the event source (REST API proxy events in
 * Lambda, Node's http server in `npm run dev`), and the responses they produce.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";

export interface ApiRequest {
  method: string;
  /** Path without query string, e.g. `/creators/1/fans`. */
  path: string;
  /** Path parameters from the matched route pattern. */
  params: Record<string, string>;
  /** Single-value query parameters (a repeated parameter keeps its last value). */
  query: Record<string, string | undefined>;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** Raw body (already base64-decoded), or null. */
  body: string | null;
  requestId: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Headers every response carries: JSON, never cached by intermediaries, no sniffing. */
const BASE_HEADERS: Record<string, string> = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

export function toRequest(event: APIGatewayProxyEvent, requestId: string): ApiRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(event.headers ?? {}))
    headers[key.toLowerCase()] = value ?? undefined;
  const body =
    event.body === null || event.body === undefined
      ? null
      : event.isBase64Encoded
        ? Buffer.from(event.body, "base64").toString("utf8")
        : event.body;
  return {
    method: (event.httpMethod ?? "GET").toUpperCase(),
    path: event.path ?? "/",
    params: {},
    query: { ...(event.queryStringParameters ?? {}) },
    headers,
    body,
    requestId,
  };
}

/**
 * JSON.stringify, and BigInt (PostgreSQL bigint sums) as numbers when safe. The replacer only
 * runs when plain serialization meets a BigInt: it would cost every response ~15 %.
 */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof TypeError) || !/BigInt/i.test(err.message)) throw err;
    return JSON.stringify(value, (_key, v) =>
      typeof v === "bigint" ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v,
    );
  }
}

export function toResult(response: ApiResponse, requestId: string): APIGatewayProxyResult {
  return {
    statusCode: response.status,
    headers: { ...BASE_HEADERS, "x-request-id": requestId, ...response.headers },
    body: response.body === undefined ? "" : toJson(response.body),
  };
}

/** The only error body a client ever receives. */
export function errorBody(
  code: string,
  message: string,
  requestId: string,
): { error: Record<string, string> } {
  return { error: { code, message, requestId } };
}
