import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { load as parseYaml } from "js-yaml";

const WORKFLOW = path.resolve(__dirname, "..", "..", ".github", "workflows", "pull-request.yml");

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string[];
  if?: string;
  steps: Step[];
  strategy?: { matrix: { stack: string[] } };
}

describe("the pull-request workflow", () => {
  const doc = parseYaml(fs.readFileSync(WORKFLOW, "utf8")) as {
    on: Record<string, unknown>;
    jobs: Record<string, Job>;
  };
  const runs = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");

  it("runs on pull requests and installs then runs npm test", () => {
    assert.ok("pull_request" in doc.on);
    assert.match(runs(doc.jobs.test), /npm ci[\s\S]*npm test/);
  });

  it("previews both stacks offline and writes the report to the job summary, keeping the exit code", () => {
    const job = doc.jobs["offline-preview"];
    assert.deepEqual(job.strategy?.matrix.stack, ["staging", "prod"]);
    const script = runs(job);
    assert.match(script, /npm run -s preview -- --stack "\$STACK"/);
    assert.match(script, /GITHUB_STEP_SUMMARY/);
    assert.match(script, /exit "\$code"/);
  });

  it("posts what the change does against the base branch and uploads the findings as SARIF", () => {
    const job = doc.jobs["offline-preview"];
    const checkout = job.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    assert.equal(checkout?.with?.["fetch-depth"], 0, "--base needs the base's commits");
    const script = runs(job);
    assert.match(script, /--base "\$BASE_REF" --cost/);
    assert.match(script, /--sarif "policy-\$STACK\.sarif"/);
    assert.match(script, /gh pr comment/);
    const upload = job.steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not JS.
    assert.equal(upload?.with?.sarif_file, "policy-${{ matrix.stack }}.sarif");
  });

  it("runs the real pulumi preview of prod with the pack only when credentials exist", () => {
    const job = doc.jobs["pulumi-preview"];
    assert.equal(job.if, "needs.credentials.outputs.available == 'true'");
    const pulumi = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.equal(pulumi?.with?.command, "preview");
    assert.equal(pulumi?.with?.policyPacks, "policies");
    assert.equal(pulumi?.with?.policyPackConfigs, "policies/config/prod.json");
    assert.match(String(pulumi?.with?.["stack-name"]), /prod/);
  });
});
