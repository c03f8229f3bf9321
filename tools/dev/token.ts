/**
 * `npm run -s dev:token -- --creator <id> [--expires-in <seconds>]` — an ID token for one
 * creator, signed with the local key `npm run dev` verifies with (created here if absent). The
 * token is the last word of the output: `TOKEN=$(npm run -s dev:token -- --creator 1 | tail -n 1)`.
 *
 * Local only: in AWS, tokens come from the Cognito user pool (docs/AUTHENTICATION.md).
 */
import { parseArgs } from "node:util";
import { usageError } from "../lib/errors";
import { runMain } from "../prisma/cli-support";
import { devKeyDir, localIssuer } from "./local-auth";

const USAGE =
  "Usage: npm run -s dev:token -- --creator <id> [--expires-in <seconds>] (default 3600 s)";
/** A day: long enough for a working session, short enough that a leaked dev token dies. */
const MAX_EXPIRES_IN = 86_400;

export async function main(
  argv = process.argv.slice(2),
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  let values: { creator?: string; "expires-in"?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { creator: { type: "string" }, "expires-in": { type: "string" } },
      strict: true,
    }));
  } catch (err) {
    throw usageError(`${(err as Error).message}\n${USAGE}`);
  }
  const creator = values.creator;
  if (!creator || !/^[1-9][0-9]{0,9}$/.test(creator) || Number(creator) > 2_147_483_647) {
    throw usageError(`--creator must be a creator id (a positive integer).\n${USAGE}`);
  }
  const expiresRaw = values["expires-in"] ?? "3600";
  const expiresIn = Number(expiresRaw);
  if (!/^[0-9]+$/.test(expiresRaw) || expiresIn < 1 || expiresIn > MAX_EXPIRES_IN) {
    throw usageError(
      `--expires-in must be a whole number of seconds in [1, ${MAX_EXPIRES_IN}] (got "${expiresRaw}").\n${USAGE}`,
    );
  }
  const dir = devKeyDir();
  const issuer = await localIssuer(dir);
  const token = await issuer.sign({ creatorId: Number(creator), expiresInSeconds: expiresIn });
  print(
    `ID token for creator ${creator}, valid ${expiresIn} s, signed with the local key in ${dir}` +
      `${issuer.created ? " (just created)" : ""}. Send it as "Authorization: Bearer <token>":`,
  );
  print(token);
  return 0;
}

if (process.argv[1] === __filename) runMain(main);
