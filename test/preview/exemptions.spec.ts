import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { main } from "../../tools/preview/cli";
import { onDay } from "../support/clock";
import { tempDir } from "../support/temp";

const ROOT = path.resolve(__dirname, "..", "..");
const PROGRAM = path.join(ROOT, "test", "fixtures", "policy", "exemptions.ts");

async function preview(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

interface Listed {
  policy: string;
  resourceName: string;
  source: string;
  declaredAt: string;
  owner?: string;
  reason: string;
  expires: string;
  status: string;
  daysLeft?: number;
  expiringSoon?: boolean;
  problem?: string;
}

/**
 * The fixture program declares its exemptions as tags (in force, expired, locked by the config, a
 * misspelt policy), one in force written before owners existed (no `by=`); the policy config,
 * prod's plus two entries, declares one in force with an owner and one without, naming no
 * resource.
 */
describe("npm run preview lists every exemption, judged on 2026-12-01", () => {
  onDay("2026-12-01");
  let config: string;

  before(() => {
    const prod = JSON.parse(
      fs.readFileSync(path.join(ROOT, "policies", "config", "prod.json"), "utf8"),
    ) as Record<string, unknown>;
    prod["rds-non-default-port"] = {
      enforcementLevel: "advisory",
      exemptions: [
        {
          resource: "db",
          owner: "dba-team",
          reason: "the port is fixed by the vendor's replication agent",
          expires: "2027-06-30",
        },
        {
          resource: "retired-db",
          reason: "removed in the last release, entry forgotten",
          expires: "2027-06-30",
        },
      ],
    };
    config = path.join(tempDir("exemptions-config-"), "prod-exemptions.json");
    fs.writeFileSync(config, JSON.stringify(prod, null, 2));
  });

  /** The fixture program previewed for prod with the config above, and `extra` flags. */
  const previewFixture = (...extra: string[]) =>
    preview("--stack", "prod", "--program", PROGRAM, "--policy-config", config, ...extra);

  it("judges again the resource whose exemption expired and names the exemption in the violation", async () => {
    const { code, out } = await previewFixture();
    assert.equal(code, 1, out);
    assert.deepEqual(
      [...out.matchAll(/^ {2}\[(?:mandatory|advisory)\] (\S+)/gm)].map((m) => m[1]),
      ["sqs-queue-redrive"],
    );
    assert.match(
      out,
      /\n {6}SQS queue "jobs" must have a redrive policy .*; the exemption tag policy-exemption:sqs-queue-redrive on `jobs` expired on 2026-11-30 \(owner: data-platform; reason: Drained by hand during the November migration\)\.\n/,
    );
    assert.match(out, /^ {2}lambda-in-vpc\s+mandatory\s+not applicable \(nothing to check\)$/m);
  });

  it("prints each exemption with its status, source, expiry, owner and reason, and warns of the one without an owner and the one about to expire", async () => {
    const { out } = await previewFixture();
    const section = out.slice(out.indexOf("\nExemptions"), out.indexOf("\nPolicies evaluated"));
    assert.equal(
      section.trim(),
      [
        "Exemptions (judged on 2026-12-01, UTC): 2 in force, 1 expired, 3 not applied",
        "  NOT ALLOWED lambda-environment-no-secrets  aws:lambda/function:Function api",
        "      until 2027-06-30 — resource tag policy-exemption:lambda-environment-no-secrets — owner: payments-team",
        "      reason: Locked by the policy config so this tag must not apply",
        "      this policy takes exemptions only from its policy config (allowResourceExemptions: false)",
        "  in force    lambda-in-vpc  aws:lambda/function:Function api",
        "      until 2026-12-10 (9 days left) — resource tag policy-exemption:lambda-in-vpc — no owner",
        "      reason: Calls a partner API on the internet. No database access.",
        "  EXPIRED     sqs-queue-redrive  aws:sqs/queue:Queue jobs",
        "      expired on 2026-11-30 — resource tag policy-exemption:sqs-queue-redrive — owner: data-platform",
        "      reason: Drained by hand during the November migration",
        "  in force    rds-non-default-port  aws:rds/instance:Instance db",
        `      until 2027-06-30 (211 days left) — ${path.relative(ROOT, config)} rds-non-default-port.exemptions[0] — owner: dba-team`,
        "      reason: the port is fixed by the vendor's replication agent",
        "  UNMATCHED   rds-non-default-port  retired-db",
        `      until 2027-06-30 — ${path.relative(ROOT, config)} rds-non-default-port.exemptions[1] — no owner`,
        "      reason: removed in the last release, entry forgotten",
        "      names no resource of this program (renamed or removed?): delete it or correct the name",
        "  INVALID     lambda-in-vcp  aws:lambda/function:Function api",
        "      until 2027-06-30 — resource tag policy-exemption:lambda-in-vcp — owner: jane@example.com",
        "      reason: A misspelt policy name exempts nothing",
        "      no policy of this pack is named lambda-in-vcp (did you mean lambda-in-vpc?)",
        '  warning: 1 exemption in force has no owner (lambda-in-vpc on api): name the team or person who answers for it — "owner" in the policy config entry, by=<owner> in the tag (policyExemptionTags requires it).',
        "  warning: 1 exemption expires within 14 days (lambda-in-vpc on api, 2026-12-10): renew with a new date and a current reason, or fix the resource, before the deploy turns red.",
      ].join("\n"),
    );
  });

  it("puts the same list in --json and beside the SARIF results", async () => {
    const dir = tempDir("exemptions-sarif-");
    const sarif = path.join(dir, "policy.sarif");
    const { out } = await previewFixture("--json", "--sarif", sarif);
    const doc = JSON.parse(out) as {
      policyPack: { exemptions: Listed[]; exemptionsJudgedOn: string };
    };
    assert.equal(doc.policyPack.exemptionsJudgedOn, "2026-12-01");
    const inVpc = doc.policyPack.exemptions.find((e) => e.policy === "lambda-in-vpc");
    assert.deepEqual(inVpc && { ...inVpc, resource: undefined }, {
      policy: "lambda-in-vpc",
      resource: undefined,
      resourceType: "aws:lambda/function:Function",
      resourceName: "api",
      source: "resource-tag",
      declaredAt: "policy-exemption:lambda-in-vpc",
      reason: "Calls a partner API on the internet. No database access.",
      expires: "2026-12-10",
      status: "in-force",
      daysLeft: 9,
      expiringSoon: true,
    });
    assert.equal("owner" in (inVpc ?? {}), false, "a tag without by= lists no owner");
    assert.deepEqual(
      doc.policyPack.exemptions.map((e) => `${e.status} ${e.policy} ${e.resourceName} ${e.owner}`),
      [
        "not-allowed lambda-environment-no-secrets api payments-team",
        "in-force lambda-in-vpc api undefined",
        "expired sqs-queue-redrive jobs data-platform",
        "in-force rds-non-default-port db dba-team",
        "unmatched rds-non-default-port retired-db undefined",
        "invalid lambda-in-vcp api jane@example.com",
      ],
    );
    const log = JSON.parse(fs.readFileSync(sarif, "utf8")) as {
      runs: Array<{ properties: { exemptions: Listed[] } }>;
    };
    assert.deepEqual(log.runs[0]?.properties.exemptions, doc.policyPack.exemptions);
  });

  it("says so in one line when nothing is exempted", async () => {
    const { code, out } = await preview("--stack", "staging");
    assert.equal(code, 0, out);
    assert.match(out, /^Exemptions: none declared\.$/m);
  });
});
