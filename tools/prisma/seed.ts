/**
 * `npm run db:seed -- [--reset] [--volume dev|bench] [--creators N] [--fans N] [--messages N]
 *  [--long-conversation N] [--transactions N] [--days N]` — loads prisma/seed.ts's data set into
 * $DATABASE_URL (migrated first with `npm run db:migrate`). Also what `npx prisma db seed` runs.
 */
import { parseArgs } from "node:util";
import { Client } from "pg";
import { BENCH_SEED, DEV_SEED, type SeedOptions, seedDatabase } from "../../prisma/seed";
import { usageError } from "../lib/errors";
import { redactUrl, requireDatabaseUrl, runMain } from "./cli-support";

const NUMERIC = {
  creators: "creators",
  fans: "fans",
  messages: "messages",
  "long-conversation": "longConversation",
  transactions: "transactions",
  days: "days",
} as const;

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      reset: { type: "boolean", default: false },
      volume: { type: "string", default: "dev" },
      ...Object.fromEntries(Object.keys(NUMERIC).map((k) => [k, { type: "string" as const }])),
    },
    strict: true,
  });
  const base =
    values.volume === "bench" ? BENCH_SEED : values.volume === "dev" ? DEV_SEED : undefined;
  if (!base) throw usageError(`--volume must be dev or bench (got "${values.volume}").`);
  const options: SeedOptions = { ...base };
  for (const [flag, key] of Object.entries(NUMERIC)) {
    const raw = (values as Record<string, string | boolean | undefined>)[flag];
    if (raw === undefined) continue;
    if (typeof raw !== "string" || !/^[0-9]+$/.test(raw))
      throw usageError(`--${flag} must be a whole number (got "${raw}").`);
    options[key] = Number(raw);
  }
  const url = requireDatabaseUrl("npm run db:seed");
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    process.stdout.write(`Seeding ${redactUrl(url)} (${JSON.stringify(options)})…\n`);
    const summary = await seedDatabase(client, { ...options, reset: values.reset });
    process.stdout.write(
      `Seeded ${summary.creators} creators, ${summary.fans} fans, ${summary.messages} messages, ${summary.transactions} transactions in ${summary.durationMs} ms.\n`,
    );
    return 0;
  } finally {
    await client.end();
  }
}

if (process.argv[1] === __filename) runMain(main);
