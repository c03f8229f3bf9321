/**
 * GET /creators/{id}/fans/{fanId}/messages?cursor&limit — one conversation, newest first.
 *
 * Keyset pagination on (sent_at, id): the `sent_at <= cursor` bound lets PostgreSQL start the
 * (fan_id, sent_at DESC, id DESC) index scan at the cursor, so page 1 000 costs what page 1
 * costs (BENCHMARKS.md compares it with OFFSET).
 *
 * Read with parameterised SQL through Prisma (`$queryRaw`), like the fans page: the statement
 * `message.findMany` would send, without the query compiler planning it or the model mapping.
 */

import * as z from "zod/mini";
import { Prisma } from "../generated/prisma/client";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { NotFoundError } from "../lib/errors";
import type { AppPrisma } from "../lib/prisma";
import type { Route } from "../lib/router";
import {
  assertQueryParams,
  idSchema,
  parseId,
  parseLimit,
  postgresDateTime,
} from "../lib/validation";
import { creatorOf, type RouteContext } from "./context";

const cursorSchema = z.strictObject({ at: postgresDateTime(), id: idSchema });

/** One message of a conversation page. */
export interface MessageRow {
  id: number;
  direction: "creator_to_fan" | "fan_to_creator";
  body: string;
  sentAt: Date;
  campaignId: number | null;
}

/**
 * The conversation of `fanId` (of `creatorId`), newest first, strictly before `after` when
 * given, at most `take` messages.
 */
export function messageRows(
  prisma: AppPrisma,
  creatorId: number,
  fanId: number,
  after: { at: Date; id: number } | undefined,
  take: number,
): Promise<MessageRow[]> {
  // `sent_at <= at` lets the index scan start at the cursor; the OR then skips the ties
  // already served.
  const before = after
    ? Prisma.sql`AND sent_at <= ${after.at} AND (sent_at < ${after.at} OR id < ${after.id})`
    : Prisma.empty;
  return prisma.$queryRaw<MessageRow[]>`/* Message.page */
    SELECT id, direction::text AS direction, body, sent_at AS "sentAt", campaign_id AS "campaignId"
    FROM messages
    WHERE fan_id = ${fanId} AND creator_id = ${creatorId} ${before}
    ORDER BY sent_at DESC, id DESC
    LIMIT ${take}`;
}

export const listMessages: Route<RouteContext> = {
  method: "GET",
  path: "/creators/{id}/fans/{fanId}/messages",
  async handler(request, context) {
    const { db } = context;
    assertQueryParams(request, ["cursor", "limit"]);
    const creatorId = creatorOf(context);
    const fanId = parseId(request.params.fanId, "fanId");
    const limit = parseLimit(request.query.limit);
    const after = decodeCursor(request.query.cursor, cursorSchema);
    const at = after ? new Date(after.at) : undefined;

    const rows = await db.run(async (prisma) => {
      const page = await messageRows(
        prisma,
        creatorId,
        fanId,
        after && at ? { at, id: after.id } : undefined,
        limit + 1,
      );
      if (page.length === 0) {
        const fan = await prisma.fan.findFirst({
          where: { id: fanId, creatorId },
          select: { id: true },
        });
        if (!fan) throw new NotFoundError(`Fan ${fanId} of creator ${creatorId} was not found.`);
      }
      return page;
    });

    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    const last = page[page.length - 1];
    return {
      status: 200,
      body: {
        data: page,
        nextCursor: hasMore ? encodeCursor({ at: last.sentAt.toISOString(), id: last.id }) : null,
      },
    };
  },
};
