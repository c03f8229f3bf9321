/**
 * What callers and operators see of the REST API besides the function's own answers: the one
 * public route, the bodies of the 401 and 403 API Gateway answers itself, and the access log
 * line (RestApi in components/rest-api.ts uses them).
 */

/** The one route served without a token, and why (the policy pack lists the same exemption). */
export const PUBLIC_ROUTE = {
  method: "GET",
  path: "health",
  reason:
    "load balancers and the deploy verification call it without credentials; it returns no tenant data",
} as const;

/** API Gateway's 403 after an authorizer's Deny: the function's body for the same case. */
export const FORBIDDEN_TEMPLATE = JSON.stringify({
  error: {
    code: "FORBIDDEN",
    message: "This login is not linked to a creator.",
    requestId: "$context.requestId",
  },
});

/** Every 401 API Gateway answers itself: the body and header of the function's own 401. */
export const UNAUTHORIZED_TEMPLATE = JSON.stringify({
  error: {
    code: "UNAUTHORIZED",
    message: "A valid bearer token is required.",
    requestId: "$context.requestId",
  },
});

/**
 * One JSON object per request. `$context.xrayTraceId` links a log line to its trace; no
 * headers, query strings or bodies (they may hold credentials or personal data).
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  extendedRequestId: "$context.extendedRequestId",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  path: "$context.path",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  integrationStatus: "$context.integrationStatus",
  integrationError: "$context.integration.error",
  errorMessage: "$context.error.message",
  sourceIp: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
  xrayTraceId: "$context.xrayTraceId",
});
