/**
 * POST /creators/{id}/campaigns — one message to many fans.
 *
 * Body: `{ "body": "…", "fanIds"?: [1, 2, …], "idempotencyKey"? }` (no `fanIds`: every fan
 * of the creator) and an `Idempotency-Key` (header or body; rules in lib/idempotency.ts).
 * One interactive transaction: check the recipients, create the campaign with its key, insert
 * the messages with `createMany` in batches of MESSAGE_BATCH rows (a few statements for
 * thousands of fans, under PostgreSQL's 65 535 bind-parameter limit). Any failure rolls
 * everything back. The same key again returns the original campaign (200, `"replayed": true`);
 * with a different campaign it is a 409.
 */
import * as z from "zod/mini";
import { ConflictError, NotFoundError, prismaCode, ValidationError } from "../lib/errors";
import {
  IDEMPOTENCY_KEY,
  IDEMPOTENCY_KEY_RULE,
  idempotencyKey,
  requestHash,
} from "../lib/idempotency";
import type { AppPrisma } from "../lib/prisma";
import type { Route } from "../lib/router";
import { assertQueryParams, idSchema, parseJsonBody, postgresText } from "../lib/validation";
import { creatorOf, type RouteContext } from "./context";

/** Rows per INSERT: 7 columns × 1 000 = 7 000 bind parameters. */
export const MESSAGE_BATCH = 1000;
/** One request stays well inside the API Gateway timeout; larger audiences go in several. */
export const MAX_RECIPIENTS = 10_000;
export const MAX_MESSAGE_LENGTH = 4000;

const bodySchema = z.strictObject({
  body: postgresText().check(
    z.trim(),
    z.minLength(1, { error: "must not be empty" }),
    z.maxLength(MAX_MESSAGE_LENGTH, {
      error: `must be at most ${MAX_MESSAGE_LENGTH} characters`,
    }),
  ),
  fanIds: z.optional(
    z
      .array(idSchema, { error: "must be an array of fan ids" })
      .check(
        z.minLength(1, { error: "must list at least one fan id (omit it to message every fan)" }),
        z.maxLength(MAX_RECIPIENTS, { error: `must list at most ${MAX_RECIPIENTS} fan ids` }),
      ),
  ),
  idempotencyKey: z.optional(
    z
      .string({ error: IDEMPOTENCY_KEY_RULE })
      .check(z.regex(IDEMPOTENCY_KEY, { error: IDEMPOTENCY_KEY_RULE })),
  ),
});

const campaignSelect = {
  id: true,
  recipientCount: true,
  createdAt: true,
  requestHash: true,
} as const;

async function findByKey(prisma: AppPrisma, creatorId: number, key: string) {
  return prisma.campaign.findUnique({
    where: { creatorId_idempotencyKey: { creatorId, idempotencyKey: key } },
    select: campaignSelect,
  });
}

type Stored = NonNullable<Awaited<ReturnType<typeof findByKey>>>;

function respond(campaign: Stored, creatorId: number, hash: string, replayed: boolean) {
  if (replayed && campaign.requestHash !== hash) {
    throw new ConflictError(
      "This idempotency key was already used for a different campaign; use a new key for a new campaign.",
    );
  }
  return {
    status: replayed ? 200 : 201,
    headers: { location: `/creators/${creatorId}/campaigns/${campaign.id}` },
    body: {
      id: campaign.id,
      creatorId,
      recipientCount: campaign.recipientCount,
      createdAt: campaign.createdAt,
      replayed,
    },
  };
}

export const createCampaign: Route<RouteContext> = {
  method: "POST",
  path: "/creators/{id}/campaigns",
  async handler(request, context) {
    const { db } = context;
    assertQueryParams(request, []);
    const creatorId = creatorOf(context);
    const input = parseJsonBody(request, bodySchema);
    const key = idempotencyKey(request.headers["idempotency-key"], input.idempotencyKey);
    const wanted = input.fanIds ? [...new Set(input.fanIds)].sort((a, b) => a - b) : undefined;
    const hash = requestHash({ body: input.body, fanIds: wanted ?? null });

    // Starts with the key lookup: after a lost COMMIT reply, the retry finds the campaign.
    return db.run(
      async (prisma) => {
        const existing = await findByKey(prisma, creatorId, key);
        if (existing) return respond(existing, creatorId, hash, true);
        try {
          const created = await createInTransaction(prisma);
          return respond(created, creatorId, hash, false);
        } catch (err) {
          // A concurrent request with the same key won the race: answer as a replay.
          if (prismaCode(err) === "P2002") {
            const winner = await findByKey(prisma, creatorId, key);
            if (winner) return respond(winner, creatorId, hash, true);
          }
          throw err;
        }
      },
      { resolvesAmbiguity: true },
    );

    function createInTransaction(prisma: AppPrisma) {
      return prisma.$transaction(
        async (tx) => {
          const creator = await tx.creator.findUnique({
            where: { id: creatorId },
            select: { id: true },
          });
          if (!creator) throw new NotFoundError(`Creator ${creatorId} was not found.`);
          const recipients = await tx.fan.findMany({
            where: { creatorId, ...(wanted ? { id: { in: wanted } } : {}) },
            select: { id: true },
            orderBy: { id: "asc" },
            take: MAX_RECIPIENTS + 1,
          });
          if (wanted && recipients.length !== wanted.length) {
            const known = new Set(recipients.map((f) => f.id));
            const unknown = wanted.filter((id) => !known.has(id));
            throw new ValidationError(
              `body.fanIds has ${unknown.length} id(s) that are not fans of creator ${creatorId} (first: ${unknown[0]}).`,
              "body.fanIds",
            );
          }
          if (recipients.length === 0) {
            throw new ValidationError(
              `Creator ${creatorId} has no fans to message.`,
              "body.fanIds",
            );
          }
          if (recipients.length > MAX_RECIPIENTS) {
            throw new ValidationError(
              `Creator ${creatorId} has more than ${MAX_RECIPIENTS} fans: send the campaign in parts with body.fanIds.`,
              "body.fanIds",
            );
          }
          const campaign = await tx.campaign.create({
            data: {
              creatorId,
              body: input.body,
              recipientCount: recipients.length,
              idempotencyKey: key,
              requestHash: hash,
            },
            select: campaignSelect,
          });
          for (let i = 0; i < recipients.length; i += MESSAGE_BATCH) {
            await tx.message.createMany({
              data: recipients.slice(i, i + MESSAGE_BATCH).map((fan) => ({
                creatorId,
                fanId: fan.id,
                direction: "creator_to_fan" as const,
                body: input.body,
                sentAt: campaign.createdAt,
                campaignId: campaign.id,
              })),
            });
          }
          return campaign;
        },
        // Below the API function's 10 s timeout, so a stuck transaction still gets its 503.
        { maxWait: 2000, timeout: 8000 },
      );
    }
  },
};
