/**
 * What the migration function may be asked to do, read from its event:
 *
 * - **apply** — `{}` or `{ "checksum": "<sha256>" }`: apply pending migrations. The only event the
 *   stack's deploy-time invocation sends (`infra/components/migrations.ts`).
 * - **resolve** — `{ "resolve": { "rolledBack": "<migration name>" } }`: mark one failed migration
 *   rolled back, as `prisma migrate resolve --rolled-back <name>` does, so the next deploy can
 *   apply its fixed version. Sent by an operator with `aws lambda invoke` (docs/DEPLOYMENT.md),
 *   never by the deploy: the database is private, so this is the way to clear a failed migration
 *   without a SQL session inside the VPC.
 *
 * Anything else is refused with the field named: an operator's typo must not turn into an apply.
 */
import { MIGRATION_NAME } from "../lib/migrations";
import { MigrationRunError } from "./run";

export interface ApplyEvent {
  /** SHA-256 of the migrations the deploy planned (the bundle must hold the same). */
  checksum?: string;
}

export interface ResolveEvent {
  resolve: {
    /** The failed migration to mark rolled back, e.g. `20261128000000_add_fan_index`. */
    rolledBack: string;
  };
}

export type MigrateEvent =
  | { kind: "apply"; checksum?: string }
  | { kind: "resolve"; rolledBack: string };

const USAGE =
  'send {} or {"checksum": "<sha256>"} to apply the migrations, or {"resolve": {"rolledBack": "<migration name>"}} to mark a failed migration rolled back';

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? JSON.stringify(value) : typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads the event; throws a MigrationRunError naming the field and the accepted forms. */
export function parseMigrateEvent(event: unknown): MigrateEvent {
  // `aws lambda invoke` without --payload sends {}; a test may pass nothing at all.
  if (event === undefined || event === null) return { kind: "apply" };
  if (!isObject(event)) {
    throw new MigrationRunError(
      `The event must be a JSON object, not ${describe(event)}: ${USAGE}.`,
    );
  }
  for (const field of Object.keys(event)) {
    if (field !== "checksum" && field !== "resolve") {
      throw new MigrationRunError(`Unknown event field "${field}": ${USAGE}.`);
    }
  }
  if ("resolve" in event) {
    if ("checksum" in event) {
      throw new MigrationRunError(
        'Event field "resolve" cannot be combined with "checksum": a resolve applies nothing, send it alone.',
      );
    }
    return { kind: "resolve", rolledBack: readResolve(event.resolve) };
  }
  const { checksum } = event;
  if (
    checksum !== undefined &&
    (typeof checksum !== "string" || !/^[0-9a-f]{64}$/.test(checksum))
  ) {
    throw new MigrationRunError(
      `Event field "checksum" must be the migrations' SHA-256 as the deploy sends it (64 lowercase hex characters), not ${describe(checksum)}.`,
    );
  }
  return checksum === undefined ? { kind: "apply" } : { kind: "apply", checksum };
}

function readResolve(resolve: unknown): string {
  if (!isObject(resolve)) {
    throw new MigrationRunError(
      `Event field "resolve" must be an object such as {"rolledBack": "20261128000000_add_fan_index"}, not ${describe(resolve)}.`,
    );
  }
  for (const field of Object.keys(resolve)) {
    if (field === "applied") {
      throw new MigrationRunError(
        'Event field "resolve.applied" is not supported: this function only marks a failed migration rolled back (prisma migrate resolve --rolled-back). Marking one applied without running it is a decision for a SQL session (docs/DEPLOYMENT.md).',
      );
    }
    if (field !== "rolledBack") {
      throw new MigrationRunError(
        `Unknown event field "resolve.${field}": the only resolve action is "resolve.rolledBack".`,
      );
    }
  }
  const name = resolve.rolledBack;
  if (name === undefined) {
    throw new MigrationRunError(
      'Event field "resolve.rolledBack" is required: the name of the failed migration, as the deploy\'s P3018/P3009 message gives it.',
    );
  }
  if (typeof name !== "string" || !MIGRATION_NAME.test(name)) {
    throw new MigrationRunError(
      `Event field "resolve.rolledBack" must be a migration folder name such as 20261128000000_add_fan_index, not ${describe(name)}.`,
    );
  }
  return name;
}
