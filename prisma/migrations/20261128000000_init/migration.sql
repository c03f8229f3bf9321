-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "message_direction" AS ENUM ('creator_to_fan', 'fan_to_creator');

-- CreateEnum
CREATE TYPE "transaction_type" AS ENUM ('subscription', 'tip', 'ppv');

-- CreateTable
CREATE TABLE "creators" (
    "id" SERIAL NOT NULL,
    "handle" VARCHAR(64) NOT NULL,
    "display_name" VARCHAR(128) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "creators_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fans" (
    "id" SERIAL NOT NULL,
    "creator_id" INTEGER NOT NULL,
    "handle" VARCHAR(64) NOT NULL,
    "display_name" VARCHAR(128) NOT NULL,
    "subscribed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "total_spent_cents" INTEGER NOT NULL DEFAULT 0,
    "transaction_count" INTEGER NOT NULL DEFAULT 0,
    "last_purchase_at" TIMESTAMPTZ(3),

    CONSTRAINT "fans_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "messages" (
    "id" SERIAL NOT NULL,
    "creator_id" INTEGER NOT NULL,
    "fan_id" INTEGER NOT NULL,
    "direction" "message_direction" NOT NULL,
    "body" TEXT NOT NULL,
    "sent_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "campaign_id" INTEGER,

    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transactions" (
    "id" SERIAL NOT NULL,
    "creator_id" INTEGER NOT NULL,
    "fan_id" INTEGER NOT NULL,
    "type" "transaction_type" NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "day" DATE NOT NULL,
    "idempotency_key" VARCHAR(128) NOT NULL,

    CONSTRAINT "transactions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "campaigns" (
    "id" SERIAL NOT NULL,
    "creator_id" INTEGER NOT NULL,
    "body" TEXT NOT NULL,
    "recipient_count" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "campaigns_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "daily_revenue" (
    "creator_id" INTEGER NOT NULL,
    "day" DATE NOT NULL,
    "type" "transaction_type" NOT NULL,
    "amount_cents" BIGINT NOT NULL,
    "transaction_count" INTEGER NOT NULL,
    "computed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "daily_revenue_pkey" PRIMARY KEY ("creator_id","day","type")
);

-- CreateIndex
CREATE UNIQUE INDEX "creators_handle_key" ON "creators"("handle");

-- CreateIndex
CREATE INDEX "fans_creator_id_id_idx" ON "fans"("creator_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "fans_creator_id_handle_key" ON "fans"("creator_id", "handle");

-- CreateIndex
CREATE INDEX "messages_fan_id_sent_at_id_idx" ON "messages"("fan_id", "sent_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "messages_creator_id_idx" ON "messages"("creator_id");

-- CreateIndex
CREATE INDEX "messages_campaign_id_idx" ON "messages"("campaign_id");

-- CreateIndex
CREATE INDEX "transactions_creator_id_day_type_idx" ON "transactions"("creator_id", "day", "type");

-- CreateIndex
CREATE INDEX "transactions_day_idx" ON "transactions"("day");

-- CreateIndex
CREATE INDEX "transactions_fan_id_idx" ON "transactions"("fan_id");

-- CreateIndex
CREATE UNIQUE INDEX "transactions_creator_id_idempotency_key_key" ON "transactions"("creator_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "campaigns_creator_id_created_at_idx" ON "campaigns"("creator_id", "created_at");

-- CreateIndex
CREATE INDEX "daily_revenue_day_idx" ON "daily_revenue"("day");

-- AddForeignKey
ALTER TABLE "fans" ADD CONSTRAINT "fans_creator_id_fkey" FOREIGN KEY ("creator_id") REFERENCES "creators"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_creator_id_fkey" FOREIGN KEY ("creator_id") REFERENCES "creators"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_fan_id_fkey" FOREIGN KEY ("fan_id") REFERENCES "fans"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_creator_id_fkey" FOREIGN KEY ("creator_id") REFERENCES "creators"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_fan_id_fkey" FOREIGN KEY ("fan_id") REFERENCES "fans"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_creator_id_fkey" FOREIGN KEY ("creator_id") REFERENCES "creators"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "daily_revenue" ADD CONSTRAINT "daily_revenue_creator_id_fkey" FOREIGN KEY ("creator_id") REFERENCES "creators"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: Prisma's schema language has no CHECK constraints (and its diff ignores them),
-- but the database should refuse what the API would never write.
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_amount_cents_check" CHECK ("amount_cents" > 0);
ALTER TABLE "fans" ADD CONSTRAINT "fans_totals_check" CHECK ("total_spent_cents" >= 0 AND "transaction_count" >= 0);
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_recipient_count_check" CHECK ("recipient_count" >= 0);
