/**
 * POST /creators/{id}/campaigns — one message to many fans.
 *
 * Body: `{ "body": "…", "fanIds"?: [1, 2, …] }` (no `fanIds`: every fan of the creator).
 * One interactive transaction: check the recipients, create the campaign, insert the messages
 * with `createMany` in batches of MESSAGE_BATCH rows (a few statements for thousands of fans,
 * under PostgreSQL's 65 535 bind-parameter limit). Any failure rolls everything back.
 */
import * as z from "zod/mini";
import { NotFoundError, ValidationError } from "../lib/errors";
import type { Route } from "../lib/router";
import { assertQueryParams, idSchema, parseJsonBody } from "../lib/validation";
import { creatorOf, type RouteContext } from "./context";

/** Rows per INSERT: 7 columns × 1 000 = 7 000 bind parameters. */
export const MESSAGE_BATCH = 1000;
/** One request stays well inside the API Gateway timeout; larger audiences go in several. */
export const MAX_RECIPIENTS = 10_000;
export const MAX_MESSAGE_LENGTH = 4000;

const bodySchema = z.strictObject({
  body: z.string({ error: "must be a string" }).check(
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
});

export const createCampaign: Route<RouteContext> = {
  method: "POST",
  path: "/creators/{id}/campaigns",
  async handler(request, context) {
    const { db } = context;
    assertQueryParams(request, []);
    const creatorId = creatorOf(context);
    const input = parseJsonBody(request, bodySchema);
    const wanted = input.fanIds ? [...new Set(input.fanIds)] : undefined;

    const created = await db.run((prisma) =>
      prisma.$transaction(
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
            data: { creatorId, body: input.body, recipientCount: recipients.length },
            select: { id: true, recipientCount: true, createdAt: true },
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
        { maxWait: 5000, timeout: 20_000 },
      ),
    );

    return {
      status: 201,
      headers: { location: `/creators/${creatorId}/campaigns/${created.id}` },
      body: {
        id: created.id,
        creatorId,
        recipientCount: created.recipientCount,
        createdAt: created.createdAt,
      },
    };
  },
};
