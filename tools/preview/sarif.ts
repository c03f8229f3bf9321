/**
 * `--sarif <file>`: the policy report as SARIF 2.1.0, the format GitHub code scanning reads
 * (github/codeql-action/upload-sarif). One rule per policy of the pack, with its description and
 * the peer rules it mirrors; one result per violation at the line of the program that declared
 * the resource (the position the Pulumi SDK records for every registration).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyEvaluation } from "../policy/evaluate";
import type { ProgramRun } from "./run-program";
import { originalPosition } from "./source-map";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

/** Peer rule ids a policy description names: Checkov, cdk-nag, AWS Config. */
export function peerIds(description: string): string[] {
  const ids = new Set<string>();
  for (const m of description.matchAll(/\bCKV2?_AWS_\d+\b/g)) ids.add(m[0]);
  for (const m of description.matchAll(/\bAwsSolutions-[A-Za-z0-9]+\b/g)) ids.add(m[0]);
  for (const m of description.matchAll(/\bcdk-nag ([A-Z][A-Za-z0-9]+)/g))
    ids.add(`cdk-nag:${m[1]}`);
  for (const m of description.matchAll(/\bAWS Config ([a-z0-9]+(?:-[a-z0-9]+)+)/g)) {
    ids.add(`aws-config:${m[1]}`);
  }
  return [...ids];
}

function sarifLevel(level: string): "error" | "warning" | "note" | "none" {
  if (level === "mandatory" || level === "remediate") return "error";
  if (level === "advisory") return "warning";
  return "none";
}

export interface SourceLocation {
  /** Path relative to the repository root, `/`-separated. */
  file: string;
  line: number;
  column: number;
}

/** Where the program declared `resource`, relative to `root`; undefined outside the repository. */
export function declarationOf(
  run: ProgramRun,
  urn: string,
  root: string,
): SourceLocation | undefined {
  const resource = run.resources.find((r) => r.urn === urn);
  const pos = resource?.sourcePosition;
  if (!pos) return undefined;
  const file = pos.uri.startsWith("file://") ? new URL(pos.uri).pathname : pos.uri;
  const rel = path.relative(root, file);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  const { line, column } = originalPosition(file, pos.line, pos.column);
  return { file: rel.split(path.sep).join("/"), line, column };
}

export function sarifReport(
  run: ProgramRun,
  policy: PolicyEvaluation,
  root: string,
): Record<string, unknown> {
  const ruleIndex = new Map(policy.policies.map((p, i) => [p.name, i]));
  const rules = policy.policies.map((p) => ({
    id: p.name,
    name: p.name,
    shortDescription: { text: p.description.split(/(?<=\.)\s/)[0] ?? p.description },
    fullDescription: { text: p.description },
    defaultConfiguration: { level: sarifLevel(p.level), enabled: p.level !== "disabled" },
    properties: {
      tags: ["pulumi-policy", ...peerIds(p.description)],
      peerIds: peerIds(p.description),
    },
  }));
  const results = policy.violations.map((v) => {
    const where = declarationOf(run, v.resource, root);
    const physical = where
      ? {
          physicalLocation: {
            artifactLocation: { uri: where.file, uriBaseId: "%SRCROOT%" },
            region: { startLine: where.line, startColumn: Math.max(1, where.column) },
          },
        }
      : {};
    return {
      ruleId: v.policy,
      ruleIndex: ruleIndex.get(v.policy) ?? -1,
      level: sarifLevel(v.level),
      message: {
        text: `${v.message} (${v.resourceType || "resource"} ${v.resourceName || v.resource})`,
      },
      locations: [
        {
          ...physical,
          logicalLocations: [
            { fullyQualifiedName: v.resource, name: v.resourceName, kind: "resource" },
          ],
        },
      ],
      partialFingerprints: { "policyResource/v1": `${v.policy}:${v.resource}` },
    };
  });
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "huntaze-api offline preview",
            semanticVersion: policy.pack.version,
            informationUri: "https://www.pulumi.com/docs/iac/packages-and-automation/crossguard/",
            rules,
          },
        },
        automationDetails: { id: `offline-preview/${run.stack}/` },
        // Exemptions are not findings: they travel beside the results, for the audit trail.
        properties: {
          exemptionsJudgedOn: policy.exemptionsJudgedOn,
          exemptions: policy.exemptions,
        },
        results: results.map((r) => (r.ruleIndex < 0 ? { ...r, ruleIndex: undefined } : r)),
      },
    ],
  };
}

export function writeSarif(
  file: string,
  run: ProgramRun,
  policy: PolicyEvaluation,
  root: string,
): void {
  fs.writeFileSync(file, `${JSON.stringify(sarifReport(run, policy, root), null, 2)}\n`);
}
