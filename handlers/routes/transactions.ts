/**
 * POST /creators/{id}/transactions — record a purchase and update the fan's totals, atomically
 * and idempotently.
 *
 * Body: `{ "fanId", "type": "subscription"|"tip"|"ppv", "amountCents", "idempotencyKey"? }`;
 * the key may come as the `Idempotency-Key` header instead. The same key again returns the
 * original purchase (200, `"replayed": true`) and changes nothing; the same key with a different
 * purchase is a 409. The insert and the totals update run in one interactive transaction: if
 * either fails, neither is kept. Key rules: lib/idempotency.ts. Amounts are 64-bit (`bigint`);
 * JSON carries them as numbers while they are safe integers (lib/http.ts toJson).
 */
import * as z from "zod/mini";
import { ConflictError, NotFoundError, prismaCode } from "../lib/errors";
import { IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_RULE, idempotencyKey } from "../lib/idempotency";
import type { AppPrisma } from "../lib/prisma";
import type { Route } from "../lib/router";
import { assertQueryParams, idSchema, parseJsonBody } from "../lib/validation";
import { creatorOf, type RouteContext } from "./context";

/** $100 000 per purchase: a typo guard (the columns are 64-bit). */
export const MAX_AMOUNT_CENTS = 10_000_000;

const bodySchema = z.strictObject({
  fanId: idSchema,
  type: z.enum(["subscription", "tip", "ppv"], { error: "must be one of subscription, tip, ppv" }),
  amountCents: z
    .int({ error: "must be an integer number of cents" })
    .check(
      z.minimum(1, { error: "must be at least 1" }),
      z.maximum(MAX_AMOUNT_CENTS, { error: `must be at most ${MAX_AMOUNT_CENTS}` }),
    ),
  idempotencyKey: z.optional(
    z
      .string({ error: IDEMPOTENCY_KEY_RULE })
      .check(z.regex(IDEMPOTENCY_KEY, { error: IDEMPOTENCY_KEY_RULE })),
  ),
});

type Purchase = z.infer<typeof bodySchema>;

const purchaseSelect = {
  id: true,
  fanId: true,
  type: true,
  amountCents: true,
  occurredAt: true,
  idempotencyKey: true,
} as const;

/** The UTC calendar day of an instant, as PostgreSQL `date` (midnight UTC). */
export function utcDay(instant: Date): Date {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate()));
}

async function findByKey(prisma: AppPrisma, creatorId: number, key: string) {
  return prisma.transaction.findUnique({
    where: { creatorId_idempotencyKey: { creatorId, idempotencyKey: key } },
    select: purchaseSelect,
  });
}

function replay(
  existing: NonNullable<Awaited<ReturnType<typeof findByKey>>>,
  input: Purchase,
  creatorId: number,
) {
  if (
    existing.fanId !== input.fanId ||
    existing.type !== input.type ||
    existing.amountCents !== BigInt(input.amountCents)
  ) {
    throw new ConflictError(
      "This idempotency key was already used for a different purchase; use a new key for a new purchase.",
    );
  }
  return { status: 200, body: { ...existing, creatorId, replayed: true } };
}

export const createTransaction: Route<RouteContext> = {
  method: "POST",
  path: "/creators/{id}/transactions",
  async handler(request, context) {
    const { db } = context;
    assertQueryParams(request, []);
    const creatorId = creatorOf(context);
    const input = parseJsonBody(request, bodySchema);
    const key = idempotencyKey(request.headers["idempotency-key"], input.idempotencyKey);

    // Starts with the key lookup: after a lost COMMIT reply, the retry finds the purchase.
    return db.run(
      async (prisma) => {
        const existing = await findByKey(prisma, creatorId, key);
        if (existing) return replay(existing, input, creatorId);
        try {
          const { purchase, fan } = await prisma.$transaction(
            async (tx) => {
              const now = new Date();
              const purchase = await tx.transaction.create({
                data: {
                  creatorId,
                  fanId: input.fanId,
                  type: input.type,
                  amountCents: BigInt(input.amountCents),
                  occurredAt: now,
                  day: utcDay(now),
                  idempotencyKey: key,
                },
                select: purchaseSelect,
              });
              // Scoped to the creator: a fan of another creator is "not found" and the insert
              // above is rolled back with the transaction.
              const fan = await tx.fan.update({
                where: { id: input.fanId, creatorId },
                data: {
                  totalSpentCents: { increment: BigInt(input.amountCents) },
                  transactionCount: { increment: 1 },
                  lastPurchaseAt: now,
                },
                select: {
                  id: true,
                  totalSpentCents: true,
                  transactionCount: true,
                  lastPurchaseAt: true,
                },
              });
              return { purchase, fan };
            },
            { maxWait: 5000, timeout: 10_000 },
          );
          return {
            status: 201,
            body: {
              ...purchase,
              creatorId,
              replayed: false,
              fan: { ...fan, lifetimeSpendCents: fan.totalSpentCents, totalSpentCents: undefined },
            },
          };
        } catch (err) {
          const code = prismaCode(err);
          // A concurrent request with the same key won the race: answer as a replay.
          if (code === "P2002") {
            const winner = await findByKey(prisma, creatorId, key);
            if (winner) return replay(winner, input, creatorId);
          }
          if (code === "P2025" || code === "P2003") {
            throw new NotFoundError(`Fan ${input.fanId} of creator ${creatorId} was not found.`);
          }
          throw err;
        }
      },
      { resolvesAmbiguity: true },
    );
  },
};
