/**
 * The baseline for the cold-start comparison: the fans route written by hand on raw `pg`
 * (no Prisma, no Powertools, no validation library), bundled the same way as the API function.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { Pool } from "pg";

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const creatorId = Number(event.path.split("/")[2]);
  const limit = Number(event.queryStringParameters?.limit ?? 20);
  const { rows } = await pool.query(
    `SELECT f.id, f.handle, f.display_name, f.subscribed_at, f.total_spent_cents, f.transaction_count,
            f.last_purchase_at, m.latest
     FROM fans f
     LEFT JOIN LATERAL (
       SELECT json_build_object('id', id, 'direction', direction, 'body', body, 'sentAt', sent_at) AS latest
       FROM messages WHERE fan_id = f.id ORDER BY sent_at DESC, id DESC LIMIT 1) m ON true
     WHERE f.creator_id = $1 ORDER BY f.id LIMIT $2`,
    [creatorId, limit + 1],
  );
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data: rows.slice(0, limit) }),
  };
}
