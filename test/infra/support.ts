import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { createAwsMocks } from "../../tools/preview/mocks";
import type { CapturedResource, ProgramRun } from "../../tools/preview/run-program";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const PROGRAM = path.join(PROJECT_ROOT, "infra", "index.ts");

/** Resolves an Output's value. Mocks run with `preview: false`, so every value is known. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => {
    output.apply((value) => {
      resolve(value);
      return value;
    });
  });
}

/** Mocks for component unit tests: the project's AWS mocks, recording every resource created. */
export async function useComponentMocks(
  stack = "unit",
): Promise<pulumi.runtime.MockResourceArgs[]> {
  const created: pulumi.runtime.MockResourceArgs[] = [];
  // Not a preview (`preview: false`): answer as a deployed stack would.
  const base = createAwsMocks("us-east-1", { firstDeploy: false });
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        created.push(args);
        return base.newResource(args);
      },
      call: (args) => base.call(args),
    },
    "huntaze-api",
    stack,
    false,
  );
  return created;
}

export function ofType(run: ProgramRun, type: string): CapturedResource[] {
  return run.resources.filter((r) => r.type === type);
}

export function byName(run: ProgramRun, name: string): CapturedResource {
  const found = run.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource named ${name}`);
  return found;
}

/** The type of a resource from its URN (`…::<type>::<name>`). */
export function typeOfUrn(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}

export interface PolicyDoc {
  Statement: Array<{
    Sid?: string;
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Principal?: unknown;
    Condition?: Record<string, Record<string, unknown>>;
  }>;
}

export function parsePolicy(text: unknown): PolicyDoc {
  return JSON.parse(String(text)) as PolicyDoc;
}

export function actionsOf(statement: PolicyDoc["Statement"][number]): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
