import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_RUNBOOK_BASE_URL, RUNBOOK_SECTIONS } from "../../infra/lib/runbook";
import { type ProgramRun, runProgram } from "../../tools/preview/run-program";
import { loadStackConfig } from "../../tools/preview/stack-config";
import { PROJECT_ROOT, readMarkdown } from "./markdown";

const PROGRAM = path.join(PROJECT_ROOT, "infra", "index.ts");
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const RUNBOOK_LINK = /(https?:\/\/\S+?\/docs\/RUNBOOK\.md)#([A-Za-z0-9_-]+)/g;

const runbook = readMarkdown("docs/RUNBOOK.md");
const anchors = new Set(runbook.headings.map((h) => h.anchor));

/** Every runbook link a resource of the run carries, with where it was found. */
function runbookLinks(run: ProgramRun): Array<{ resource: string; url: string; anchor: string }> {
  const found: Array<{ resource: string; url: string; anchor: string }> = [];
  for (const r of run.resources) {
    const inputs = r.inputs as {
      alarmDescription?: string;
      description?: string;
      inputTransformer?: { inputTemplate?: string };
    };
    for (const text of [
      inputs.alarmDescription,
      inputs.description,
      inputs.inputTransformer?.inputTemplate,
    ]) {
      if (typeof text !== "string") continue;
      for (const m of text.matchAll(RUNBOOK_LINK)) {
        found.push({ resource: `${r.type} ${r.name}`, url: m[1]!, anchor: m[2]! });
      }
    }
  }
  return found;
}

describe("docs/RUNBOOK.md and the alarms", () => {
  const runs = new Map<string, ProgramRun>();

  before(async () => {
    for (const stack of ["prod", "staging"]) {
      runs.set(
        stack,
        await runProgram({
          programFile: PROGRAM,
          stackConfig: loadStackConfig(PROJECT_ROOT, stack),
          // Deployed view: alarm names and the dashboard's body are read as AWS will hold them.
          firstDeploy: false,
        }),
      );
    }
  });

  it("links every alarm of both stacks to a section of docs/RUNBOOK.md", () => {
    for (const [stack, run] of runs) {
      const alarms = run.resources.filter((r) => r.type === ALARM);
      assert.ok(alarms.length > 0, `${stack}: no alarm registered`);
      for (const alarm of alarms) {
        const description = String(alarm.inputs.alarmDescription ?? "");
        const link = /Runbook: (\S+)#([A-Za-z0-9_-]+)$/.exec(description);
        assert.ok(
          link,
          `${stack}: ${String(alarm.inputs.name)} does not end with its runbook link`,
        );
        assert.equal(link[1], DEFAULT_RUNBOOK_BASE_URL, `${stack}: ${String(alarm.inputs.name)}`);
        assert.ok(
          anchors.has(link[2]!),
          `${stack}: ${String(alarm.inputs.name)} links to #${link[2]}, which docs/RUNBOOK.md has no heading for`,
        );
      }
    }
  });

  it("links the rotation-failure rule and its notifications to a section that exists", () => {
    for (const [stack, run] of runs) {
      const links = runbookLinks(run).filter((l) => !l.resource.startsWith(ALARM));
      assert.ok(links.length >= 2, `${stack}: the EventBridge rule and its target carry the link`);
      for (const l of links) {
        assert.ok(anchors.has(l.anchor), `${stack}: ${l.resource} links to missing #${l.anchor}`);
      }
    }
  });

  it("has a section for every id in RUNBOOK_SECTIONS", () => {
    const sections = runbook.headings.filter((h) => h.level === 2).map((h) => h.text);
    for (const id of RUNBOOK_SECTIONS) {
      assert.ok(sections.includes(id), `docs/RUNBOOK.md has no "## ${id}" heading`);
    }
  });

  it("gives every section what it means, first checks, likely causes and fixes", () => {
    const text = runbook.text;
    for (const id of RUNBOOK_SECTIONS) {
      const start = text.indexOf(`\n## ${id}\n`);
      const next = text.indexOf("\n## ", start + 1);
      const section = text.slice(start, next < 0 ? undefined : next);
      for (const part of [
        "**What it means.**",
        "**First checks.**",
        "**Likely causes.**",
        "**Fixes.**",
      ]) {
        assert.ok(section.includes(part), `## ${id} lacks ${part}`);
      }
    }
  });

  it("gives every alarm an immediate mitigation and an escalation line", () => {
    const text = runbook.text;
    for (const id of RUNBOOK_SECTIONS) {
      const start = text.indexOf(`\n## ${id}\n`);
      const next = text.indexOf("\n## ", start + 1);
      const section = text.slice(start, next < 0 ? undefined : next);
      assert.match(section, /\n\*\*Mitigate now\.\*\* \S/, `## ${id} lacks **Mitigate now.**`);
      assert.match(section, /\n\*\*Escalate\.\*\* \S/, `## ${id} lacks **Escalate.**`);
    }
  });

  it("takes relative time windows in its commands, never a fixed date and time", () => {
    const commands = runbook.blocks.flatMap((b) => b.lines);
    const windows = commands.filter((l) => l.includes("--start-time"));
    assert.ok(windows.length > 3, "the runbook has time-windowed commands");
    for (const line of commands) {
      assert.doesNotMatch(line, /\d{4}-\d\d-\d\dT\d\d:\d\d/, line);
    }
    for (const line of windows) {
      assert.match(line, /--start-time "\$\(date -u -d '-[^']+' \+%FT%TZ\)"/, line);
    }
  });

  it("diagnoses the database without a connection into the private VPC", () => {
    const commands = runbook.blocks.flatMap((b) => b.lines).join("\n");
    assert.match(commands, /aws pi get-resource-metrics [^\n]*db\.sql_tokenized/);
    assert.doesNotMatch(commands, /DATABASE_URL=/);
  });

  it("compares only signals the dashboard graphs: IntegrationLatency beside the API's Latency", () => {
    for (const [stack, run] of runs) {
      const dashboard = run.resources.find((r) => r.type === "aws:cloudwatch/dashboard:Dashboard");
      const body = JSON.parse(String(dashboard?.inputs.dashboardBody)) as {
        widgets: Array<{ properties: { metrics?: unknown[][] } }>;
      };
      const latency = body.widgets.find((w) =>
        (w.properties.metrics ?? []).some((m) => m[1] === "Latency"),
      );
      const names = (latency?.properties.metrics ?? []).map((m) => m[1]);
      assert.deepEqual(names, ["Latency", "IntegrationLatency"], stack);
      const [own, integration] = latency!.properties.metrics!;
      assert.deepEqual(own!.slice(2, -1), integration!.slice(2, -1), "same API and stage");
    }
    for (const metric of runbook.text.matchAll(/`(\w*Latency)` (?:and|on)/g)) {
      assert.ok(["Latency", "IntegrationLatency"].includes(metric[1]!), metric[0]);
    }
  });

  it("resolves every RUNBOOK.md#<section> the tools and the program print", () => {
    const sources: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith(".ts")) sources.push(full);
      }
    };
    walk(path.join(PROJECT_ROOT, "infra"));
    walk(path.join(PROJECT_ROOT, "tools"));
    let checked = 0;
    for (const file of sources) {
      for (const m of fs.readFileSync(file, "utf8").matchAll(/RUNBOOK\.md#([a-z0-9-]+)/g)) {
        checked++;
        assert.ok(
          anchors.has(m[1]!),
          `${path.relative(PROJECT_ROOT, file)} links to missing #${m[1]}`,
        );
      }
    }
    assert.ok(checked > 0, "the deploy tool's messages link to the runbook");
  });
});
