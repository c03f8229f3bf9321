// Placeholder until the handlers issue (#4) lands: the API function's entry point.
// The infra bundles `handlers/api.ts` and `handlers/worker.ts`, each exporting `handler`.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  if (event.httpMethod === "GET" && event.path === "/health") {
    return {
      statusCode: 200,
      headers: { "content-type": "application/json" },
      body: '{"status":"ok"}',
    };
  }
  return {
    statusCode: 404,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error: { code: "NOT_FOUND", message: "Route not found" } }),
  };
}
