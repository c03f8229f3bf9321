-- Money in 64-bit columns: a fan's lifetime spend overflowed `integer` after ~2.1 billion cents.
-- (A rewrite of both tables under an ACCESS EXCLUSIVE lock: run it in a quiet window on large data.)
ALTER TABLE "fans" ALTER COLUMN "total_spent_cents" SET DATA TYPE BIGINT;
ALTER TABLE "transactions" ALTER COLUMN "amount_cents" SET DATA TYPE BIGINT;

-- Campaigns are idempotent on a client key, like purchases.
ALTER TABLE "campaigns" ADD COLUMN "idempotency_key" VARCHAR(128),
ADD COLUMN "request_hash" CHAR(64);

-- CreateIndex
CREATE UNIQUE INDEX "campaigns_creator_id_idempotency_key_key" ON "campaigns"("creator_id", "idempotency_key");
