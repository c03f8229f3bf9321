import * as assert from "node:assert/strict";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { Queue } from "@pulumi/aws/sqs/queue";
import type { StackValidationPolicy } from "@pulumi/policy";
import { type PolicyExemption, policyExemptionTags } from "../../infra/lib/exemptions";
import { lambdaInVpc } from "../../policies/src/lambda";
import {
  daysBetween,
  exemptionTagKey,
  exemptionTagsOf,
  exemptionTagValue,
  expiryOf,
  isCalendarDate,
  parseExemptionTag,
  today,
} from "../../policies/src/lib/exemptions";
import { policies } from "../../policies/src/pack";
import { onDay, pinExemptionDay } from "../support/clock";
import {
  createResourceValidationArgs,
  createStackValidationArgs,
  res,
  runResourcePolicy,
  runStackPolicy,
  UNKNOWN,
} from "./helpers";

const REASON = "Calls a partner API on the internet. No database access.";
const OWNER = "platform-team";

describe("exemption dates", () => {
  it("accepts real calendar dates only", () => {
    for (const good of ["2027-03-31", "2028-02-29", "2026-12-01"])
      assert.ok(isCalendarDate(good), good);
    for (const bad of [
      "2027-02-29",
      "2027-02-30",
      "2027-04-31",
      "2027-13-01",
      "2027-00-10",
      "2027-3-31",
      "31/03/2027",
      "",
      20270331,
    ]) {
      assert.ok(!isCalendarDate(bad), String(bad));
    }
  });

  it("holds through the expiry day (UTC) and expires the day after", () => {
    assert.deepEqual(expiryOf("2027-03-31", "2027-03-31"), {
      expired: false,
      daysLeft: 0,
      expiringSoon: true,
    });
    assert.deepEqual(expiryOf("2027-03-31", "2027-04-01"), {
      expired: true,
      daysLeft: -1,
      expiringSoon: false,
    });
    assert.equal(expiryOf("2027-03-31", "2027-03-17").expiringSoon, true, "14 days ahead warns");
    assert.equal(
      expiryOf("2027-03-31", "2027-03-16").expiringSoon,
      false,
      "15 days ahead does not",
    );
    assert.equal(daysBetween("2026-12-31", "2027-03-01"), 60);
  });

  it("reads today from the injectable clock, in UTC", () => {
    const restore = pinExemptionDay("2030-01-15");
    try {
      assert.equal(today(), "2030-01-15");
    } finally {
      restore();
    }
  });
});

describe("exemption tags", () => {
  it("round-trips the helper's tag, owner included, through the pack's parser", () => {
    const tags = policyExemptionTags("api-function", [
      { policy: "lambda-in-vpc", expires: "2027-03-31", owner: "jane@example.com", reason: REASON },
    ]);
    assert.deepEqual(tags, {
      "policy-exemption:lambda-in-vpc": `until=2027-03-31 by=jane@example.com reason=${REASON}`,
    });
    assert.deepEqual(exemptionTagsOf({ team: "api", ...tags }), [
      {
        key: "policy-exemption:lambda-in-vpc",
        exemption: {
          policy: "lambda-in-vpc",
          expires: "2027-03-31",
          owner: "jane@example.com",
          reason: REASON,
        },
        problems: [],
      },
    ]);
  });

  it("still reads a tag written before owners existed (no by=), with no owner", () => {
    const parsed = parseExemptionTag(
      "policy-exemption:lambda-in-vpc",
      `until=2027-03-31 reason=${REASON}`,
    );
    assert.deepEqual(parsed, {
      key: "policy-exemption:lambda-in-vpc",
      exemption: { policy: "lambda-in-vpc", expires: "2027-03-31", reason: REASON },
      problems: [],
    });
    // "by=" inside the reason is part of the reason, not an owner.
    const inReason = parseExemptionTag(
      "policy-exemption:lambda-in-vpc",
      "until=2027-03-31 reason=approved by=jane in review",
    );
    assert.ok(inReason && "exemption" in inReason);
    assert.equal(inReason.exemption.owner, undefined);
    assert.equal(inReason.exemption.reason, "approved by=jane in review");
  });

  it("reports a tag whose owner is empty or holds characters an owner may not", () => {
    const problems = (value: string) =>
      parseExemptionTag("policy-exemption:lambda-in-vpc", value)?.problems.join("; ") ?? "";
    assert.match(
      problems(`until=2027-03-31 by=jane smith reason=${REASON}`),
      /^owner "jane smith" contains " "; an owner in a tag may hold only letters, digits and _ \. : \/ \+ - @ \(no spaces\), e\.g\. "platform-team" or "jane@example\.com"$/,
    );
    assert.match(problems(`until=2027-03-31 by=a=b reason=${REASON}`), /owner "a=b" contains "="/);
    assert.match(
      problems(`until=2027-03-31 by= reason=${REASON}`),
      /^owner is empty; name the team or person who owns the exemption, e\.g\. by=platform-team$/,
    );
  });

  it("ignores other tags and reports a malformed value", () => {
    assert.equal(parseExemptionTag("team", "api"), undefined);
    const parsed = parseExemptionTag("policy-exemption:lambda-in-vpc", "reason=no date given here");
    assert.match(
      parsed?.problems.join() ?? "",
      /value must be "until=YYYY-MM-DD by=<owner> reason=<why>"/,
    );
    const badDate = parseExemptionTag(
      "policy-exemption:lambda-in-vpc",
      `until=2027-02-30 reason=${REASON}`,
    );
    assert.match(badDate?.problems.join() ?? "", /expiry "2027-02-30" is not a calendar date/);
  });

  it("refuses, naming the resource and the fix, a reason AWS would not take as a tag value", () => {
    const tag =
      (reason: string, policy = "lambda-in-vpc", owner = OWNER) =>
      () =>
        policyExemptionTags("authorizer-function", [
          { policy, expires: "2027-03-31", owner, reason },
        ]);
    assert.throws(
      tag("JWKS fetch, no NAT"),
      /^Error: authorizer-function: policy exemption for lambda-in-vpc: reason contains ",", which AWS does not accept in a tag value; use only letters, digits, spaces and _ \. : \/ = \+ - @/,
    );
    assert.throws(tag("the issuer's keys are online"), /reason contains "'"/);
    // "until=2027-03-31 by=platform-team reason=" takes 41 of the 256 characters.
    assert.throws(
      tag("x".repeat(216)),
      /tag value is 257 characters; AWS allows 256, which leaves 215 for the reason after the date and the owner \(by=platform-team, 13 characters\): shorten it or the owner$/,
    );
    assert.doesNotThrow(tag("x".repeat(215)));
    assert.throws(
      tag("x".repeat(200), "lambda-in-vpc", `${"o".repeat(40)}@example.com`),
      /which leaves 176 for the reason after the date and the owner \(by=o+@example\.com, 52 characters\)/,
    );
    assert.throws(
      tag(REASON, "lambda-in-vpc", "Platform Team"),
      /^Error: authorizer-function: policy exemption for lambda-in-vpc: owner "Platform Team" contains " "; an owner in a tag may hold only letters, digits and _ \. : \/ \+ - @ \(no spaces\)/,
    );
    assert.throws(tag(REASON, "lambda-in-vpc", "ops,sre"), /owner "ops,sre" contains ","/);
    assert.throws(tag(REASON, "lambda-in-vpc", ""), /owner is empty/);
    assert.throws(tag("short"), /reason "short" is too short/);
    assert.throws(
      tag(REASON, `a${"-b".repeat(60)}`),
      /tag key policy-exemption:a-b.* is 138 characters; AWS allows 128/,
    );
    assert.throws(tag(REASON, "Lambda_In_VPC"), /"Lambda_In_VPC" is not a policy name/);
    assert.throws(
      () =>
        policyExemptionTags("api", [
          { policy: "lambda-in-vpc", expires: "2027-03-31", owner: OWNER, reason: REASON },
          { policy: "lambda-in-vpc", expires: "2027-06-30", owner: OWNER, reason: REASON },
        ]),
      /api: two policy exemptions for lambda-in-vpc/,
    );
  });

  it("requires an owner of every new declaration, naming the resource and the fix", () => {
    const withoutOwner = { policy: "lambda-in-vpc", expires: "2027-03-31", reason: REASON };
    assert.throws(
      // What a JavaScript caller, or a cast past the type, passes.
      () => policyExemptionTags("authorizer-function", [withoutOwner as PolicyExemption]),
      /^Error: authorizer-function: policy exemption for lambda-in-vpc: owner is required: name the team or person who approved the exemption and will renew or remove it, e\.g\. owner: "platform-team" \(written as by=<owner> in the tag\)$/,
    );
  });
});

const OUTSIDE_VPC = { runtime: "nodejs22.x", timeout: 10, memorySize: 256 };
const tagged = (expires: string, reason = REASON) =>
  policyExemptionTags("authorizer-function", [
    { policy: "lambda-in-vpc", expires, owner: OWNER, reason },
  ]);
/** A tag written before exemptions had owners: no `by=`. */
const legacyTag = (expires: string) => ({
  [exemptionTagKey("lambda-in-vpc")]: exemptionTagValue(expires, REASON),
});

function fn(props: Record<string, unknown>, config: Record<string, unknown> = {}) {
  return createResourceValidationArgs(
    LambdaFunction,
    { ...OUTSIDE_VPC, ...props },
    { policy: lambdaInVpc, config, name: "authorizer-function" },
  );
}

describe("lambda-in-vpc with exemptions (a resource policy), on 2026-12-01", () => {
  onDay("2026-12-01");
  const inConfig = (expires: string, owner: string | null = OWNER) => ({
    exemptions: [
      {
        resource: "authorizer-function",
        ...(owner === null ? {} : { owner }),
        reason: REASON,
        expires,
      },
    ],
  });

  it("without one, reports the function", async () => {
    const outcome = await runResourcePolicy(lambdaInVpc, fn({}));
    assert.deepEqual(
      outcome.violations.map((v) => v.message),
      ["Lambda function must run in a VPC (vpcConfig.subnetIds)."],
    );
  });

  it("stands down for a policy-config exemption in force, with its source, expiry, owner and reason", async () => {
    const outcome = await runResourcePolicy(lambdaInVpc, fn({}, inConfig("2027-03-31")));
    assert.equal(
      outcome.notApplicable,
      `exempted until 2027-03-31 by policy config exemptions[0] (owner: platform-team): ${REASON}`,
    );
  });

  it("still stands down for a policy-config exemption without an owner, saying the owner is unknown", async () => {
    const outcome = await runResourcePolicy(lambdaInVpc, fn({}, inConfig("2027-03-31", null)));
    assert.deepEqual(outcome.violations, []);
    assert.equal(
      outcome.notApplicable,
      `exempted until 2027-03-31 by policy config exemptions[0] (owner unknown): ${REASON}`,
    );
  });

  it("still stands down on the expiry day, saying it is the last", async () => {
    const outcome = await runResourcePolicy(lambdaInVpc, fn({}, inConfig("2026-12-01")));
    assert.equal(
      outcome.notApplicable,
      `exempted until 2026-12-01 (last day today) by policy config exemptions[0] (owner: platform-team): ${REASON}`,
    );
  });

  it("judges the function again the day after a policy-config exemption expired, naming it", async () => {
    const outcome = await runResourcePolicy(lambdaInVpc, fn({}, inConfig("2026-11-30")));
    assert.equal(outcome.notApplicable, undefined);
    assert.deepEqual(
      outcome.violations.map((v) => v.message),
      [
        `Lambda function must run in a VPC (vpcConfig.subnetIds); the exemption for \`authorizer-function\` expired on 2026-11-30 (owner: platform-team; reason: ${REASON}).`,
      ],
    );
  });

  it("stands down for its own tag in force, naming the tag's owner", async () => {
    const outcome = await runResourcePolicy(lambdaInVpc, fn({ tags: tagged("2026-12-10") }));
    assert.equal(
      outcome.notApplicable,
      `exempted until 2026-12-10 (expires in 9 days) by resource tag policy-exemption:lambda-in-vpc (owner: platform-team): ${REASON}`,
    );
  });

  it("still stands down for a tag without by=, saying the owner is unknown; lapsed, says so too", async () => {
    const inForce = await runResourcePolicy(lambdaInVpc, fn({ tags: legacyTag("2026-12-10") }));
    assert.deepEqual(inForce.violations, []);
    assert.equal(
      inForce.notApplicable,
      `exempted until 2026-12-10 (expires in 9 days) by resource tag policy-exemption:lambda-in-vpc (owner unknown): ${REASON}`,
    );
    const lapsed = await runResourcePolicy(lambdaInVpc, fn({ tags: legacyTag("2026-11-30") }));
    assert.deepEqual(
      lapsed.violations.map((v) => v.message),
      [
        `Lambda function must run in a VPC (vpcConfig.subnetIds); the exemption tag policy-exemption:lambda-in-vpc on \`authorizer-function\` expired on 2026-11-30 (owner unknown; reason: ${REASON}).`,
      ],
    );
  });

  it("judges a function whose tag has an owner with a space in it, saying what is wrong", async () => {
    const outcome = await runResourcePolicy(
      lambdaInVpc,
      fn({
        tags: {
          "policy-exemption:lambda-in-vpc": `until=2027-03-31 by=Platform Team reason=${REASON}`,
        },
      }),
    );
    assert.equal(outcome.notApplicable, undefined);
    assert.match(
      outcome.violations[0]?.message ?? "",
      /; its exemption tag policy-exemption:lambda-in-vpc is malformed: owner "Platform Team" contains " "/,
    );
  });

  it("judges the function again once its tag expired, naming the tag", async () => {
    const outcome = await runResourcePolicy(lambdaInVpc, fn({ tags: tagged("2026-11-30") }));
    assert.deepEqual(
      outcome.violations.map((v) => v.message),
      [
        `Lambda function must run in a VPC (vpcConfig.subnetIds); the exemption tag policy-exemption:lambda-in-vpc on \`authorizer-function\` expired on 2026-11-30 (owner: platform-team; reason: ${REASON}).`,
      ],
    );
  });

  it("ignores the tag when the policy config sets allowResourceExemptions: false, and says so", async () => {
    const outcome = await runResourcePolicy(
      lambdaInVpc,
      fn({ tags: tagged("2027-03-31") }, { allowResourceExemptions: false }),
    );
    assert.equal(outcome.notApplicable, undefined);
    assert.match(
      outcome.violations[0]?.message ?? "",
      /; its exemption tag policy-exemption:lambda-in-vpc does not apply: this policy takes exemptions only from its policy config \(allowResourceExemptions: false\)\.$/,
    );
  });

  it("judges a function whose tag is malformed, saying what is wrong", async () => {
    const outcome = await runResourcePolicy(
      lambdaInVpc,
      fn({
        tags: {
          "policy-exemption:lambda-in-vpc": "until=2027-02-30 reason=no such day in February",
        },
      }),
    );
    assert.match(
      outcome.violations[0]?.message ?? "",
      /its exemption tag policy-exemption:lambda-in-vpc is malformed: expiry "2027-02-30" is not a calendar date/,
    );
  });

  it("ignores a tag for another policy, a provider default tag (tagsAll) and a tag unknown at preview", async () => {
    const other = policyExemptionTags("f", [
      { policy: "lambda-code-signing", expires: "2027-03-31", owner: OWNER, reason: REASON },
    ]);
    const unknownTag = { "policy-exemption:lambda-in-vpc": UNKNOWN };
    for (const props of [
      { tags: other },
      { tagsAll: tagged("2027-03-31") },
      { tags: unknownTag },
    ]) {
      const outcome = await runResourcePolicy(lambdaInVpc, fn(props));
      assert.equal(outcome.notApplicable, undefined, JSON.stringify(props));
      assert.equal(outcome.violations.length, 1);
    }
  });
});

describe("sqs-queue-redrive with exemptions (a stack policy, as the pack serves it), on 2026-12-01", () => {
  onDay("2026-12-01");
  const policy = policies.find((p) => p.name === "sqs-queue-redrive") as StackValidationPolicy;
  const queueTags = (expires: string) =>
    policyExemptionTags("jobs", [
      {
        policy: "sqs-queue-redrive",
        expires,
        owner: "data-platform",
        reason: "Drained by hand during the migration",
      },
    ]);
  const stack = (tags: Record<string, string> | undefined, config: Record<string, unknown> = {}) =>
    createStackValidationArgs(
      [res(Queue, "jobs", { name: "jobs", tags }), res(Queue, "other", { name: "other" })],
      { policy, config },
    );

  it("skips a queue whose tag is in force and still judges the others", async () => {
    const outcome = await runStackPolicy(policy, stack(queueTags("2027-01-31")));
    assert.deepEqual(
      outcome.violations.map((v) => v.urn?.split("::").pop()),
      ["other"],
    );
  });

  it("judges the queue again once its tag expired, the message naming the exemption", async () => {
    const outcome = await runStackPolicy(policy, stack(queueTags("2026-11-30")));
    const jobs = outcome.violations.find((v) => v.urn?.endsWith("::jobs"));
    assert.match(
      jobs?.message ?? "",
      /; the exemption tag policy-exemption:sqs-queue-redrive on `jobs` expired on 2026-11-30 \(owner: data-platform; reason: Drained by hand during the migration\)\.$/,
    );
    const other = outcome.violations.find((v) => v.urn?.endsWith("::other"));
    assert.doesNotMatch(other?.message ?? "", /exemption/);
  });

  it("skips a queue exempted in the policy config; a disallowed tag does not", async () => {
    const config = {
      exemptions: [
        { resource: "jobs", reason: "Drained by hand during the migration", expires: "2027-01-31" },
      ],
    };
    assert.deepEqual(
      (await runStackPolicy(policy, stack(undefined, config))).violations.map((v) =>
        v.urn?.split("::").pop(),
      ),
      ["other"],
    );
    const locked = await runStackPolicy(
      policy,
      stack(queueTags("2027-01-31"), { allowResourceExemptions: false }),
    );
    assert.deepEqual(locked.violations.map((v) => v.urn?.split("::").pop()).sort(), [
      "jobs",
      "other",
    ]);
  });
});
