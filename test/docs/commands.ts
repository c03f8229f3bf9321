/**
 * Checks that a command written in the docs is one a reader can run: an `npm run` script that
 * package.json has (with arguments its parser accepts), a project file that exists, or a named
 * public tool from the allow-list below, with a subcommand and flags that tool has. The lists
 * are deliberately closed: a command the docs start using is added here after checking it
 * against the tool's reference, so a typo cannot pass as "some other command".
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDeployArgs } from "../../tools/deploy/cli";
import { parsePreviewArgs } from "../../tools/preview/cli";
import { PROJECT_ROOT } from "./markdown";

/** Languages of fenced blocks whose lines are shell commands. */
export const SHELL_LANGUAGES = new Set(["", "sh", "bash", "shell", "console", "zsh"]);

/** Tools a command may start with. */
export const TOOLS = [
  "aws",
  "cd",
  "curl",
  "git",
  "jq",
  "node",
  "npm",
  "npx",
  "psql",
  "pulumi",
  "tail",
] as const;

/** `pulumi` subcommands (nested ones as lists) and the flags the docs use. */
const PULUMI_COMMANDS: Record<string, true | string[]> = {
  about: true,
  cancel: true,
  config: ["get", "rm", "set"],
  destroy: true,
  import: true,
  login: true,
  logout: true,
  policy: ["analyze"],
  preview: true,
  refresh: true,
  stack: ["export", "history", "import", "init", "ls", "output", "rm", "select"],
  up: true,
  version: true,
  whoami: true,
};
const PULUMI_FLAGS = new Set([
  "--copy-config-from",
  "--create",
  "--diff",
  "--expect-no-changes",
  "--file",
  "--json",
  "--non-interactive",
  "--parent",
  "--path",
  "--policy-pack",
  "--policy-pack-config",
  "--protect",
  "--refresh",
  "--secret",
  "--secrets-provider",
  "--show-secrets",
  "--skip-preview",
  "--stack",
  "--target",
  "--version",
  "--yes",
  "-c",
  "-s",
  "-y",
]);

/** Options every `aws` command accepts. */
const AWS_GLOBAL_FLAGS = [
  "--cli-binary-format",
  "--no-cli-pager",
  "--output",
  "--profile",
  "--query",
  "--region",
];

/**
 * `aws <service> <operation>` and the operation's options used in the docs, as in the AWS CLI v2
 * reference. `wait` takes a waiter name first.
 */
const AWS_COMMANDS: Record<string, Record<string, string[]>> = {
  "cognito-idp": {
    "admin-create-user": [
      "--user-pool-id",
      "--username",
      "--user-attributes",
      "--desired-delivery-mediums",
      "--message-action",
      "--temporary-password",
    ],
    "admin-update-user-attributes": ["--user-pool-id", "--username", "--user-attributes"],
    "admin-initiate-auth": ["--user-pool-id", "--client-id", "--auth-flow", "--auth-parameters"],
    "admin-respond-to-auth-challenge": [
      "--user-pool-id",
      "--client-id",
      "--challenge-name",
      "--challenge-responses",
      "--session",
    ],
    "admin-user-global-sign-out": ["--user-pool-id", "--username"],
    "admin-disable-user": ["--user-pool-id", "--username"],
  },
  wafv2: {
    "get-sampled-requests": [
      "--scope",
      "--time-window",
      "--max-items",
      "--rule-metric-name",
      "--web-acl-arn",
    ],
  },
  cloudtrail: {
    "lookup-events": ["--lookup-attributes", "--max-results", "--start-time", "--end-time"],
  },
  cloudwatch: {
    "describe-alarm-history": [
      "--alarm-name",
      "--history-item-type",
      "--max-records",
      "--start-date",
      "--end-date",
    ],
    "describe-alarms": ["--alarm-names", "--alarm-name-prefix", "--state-value"],
    "get-metric-statistics": [
      "--namespace",
      "--metric-name",
      "--dimensions",
      "--statistics",
      "--extended-statistics",
      "--period",
      "--start-time",
      "--end-time",
      "--unit",
    ],
    "set-alarm-state": ["--alarm-name", "--state-value", "--state-reason", "--state-reason-data"],
  },
  lambda: {
    "get-account-settings": [],
    "get-function-concurrency": ["--function-name"],
    "get-function-configuration": ["--function-name", "--qualifier"],
    invoke: ["--function-name", "--payload", "--invocation-type", "--log-type", "--qualifier"],
  },
  logs: {
    "describe-log-groups": ["--log-group-name-prefix", "--log-group-name-pattern"],
    "put-retention-policy": ["--log-group-name", "--retention-in-days"],
    tail: [
      "--since",
      "--follow",
      "--format",
      "--filter-pattern",
      "--log-stream-names",
      "--log-stream-name-prefix",
    ],
  },
  pi: {
    "get-resource-metrics": [
      "--service-type",
      "--identifier",
      "--metric-queries",
      "--start-time",
      "--end-time",
      "--period-in-seconds",
      "--period-alignment",
      "--max-results",
    ],
    "describe-dimension-keys": [
      "--service-type",
      "--identifier",
      "--start-time",
      "--end-time",
      "--metric",
      "--period-in-seconds",
      "--group-by",
      "--partition-by",
      "--filter",
      "--max-results",
    ],
  },
  rds: {
    "delete-db-instance": [
      "--db-instance-identifier",
      "--final-db-snapshot-identifier",
      "--skip-final-snapshot",
      "--no-skip-final-snapshot",
    ],
    "describe-db-instances": ["--db-instance-identifier"],
    "describe-db-snapshots": [
      "--db-instance-identifier",
      "--db-snapshot-identifier",
      "--snapshot-type",
    ],
    "describe-events": [
      "--source-identifier",
      "--source-type",
      "--duration",
      "--start-time",
      "--end-time",
      "--event-categories",
    ],
    "modify-db-instance": [
      "--db-instance-identifier",
      "--new-db-instance-identifier",
      "--apply-immediately",
      "--no-apply-immediately",
      "--master-user-password",
      "--deletion-protection",
      "--no-deletion-protection",
      "--db-instance-class",
      "--allocated-storage",
    ],
    "restore-db-instance-from-db-snapshot": [
      "--db-instance-identifier",
      "--db-snapshot-identifier",
      "--db-instance-class",
      "--db-subnet-group-name",
      "--vpc-security-group-ids",
      "--db-parameter-group-name",
      "--publicly-accessible",
      "--no-publicly-accessible",
      "--multi-az",
      "--no-multi-az",
      "--deletion-protection",
      "--no-deletion-protection",
      "--copy-tags-to-snapshot",
      "--enable-cloudwatch-logs-exports",
      "--tags",
    ],
    "restore-db-instance-to-point-in-time": [
      "--source-db-instance-identifier",
      "--target-db-instance-identifier",
      "--restore-time",
      "--use-latest-restorable-time",
      "--db-instance-class",
      "--db-subnet-group-name",
      "--vpc-security-group-ids",
      "--db-parameter-group-name",
      "--no-publicly-accessible",
      "--multi-az",
      "--no-multi-az",
    ],
    wait: ["--db-instance-identifier", "--db-snapshot-identifier"],
  },
  secretsmanager: {
    "describe-secret": ["--secret-id"],
    "get-secret-value": ["--secret-id", "--version-id", "--version-stage"],
    "list-secret-version-ids": ["--secret-id", "--include-deprecated"],
    "rotate-secret": [
      "--secret-id",
      "--rotate-immediately",
      "--no-rotate-immediately",
      "--rotation-lambda-arn",
      "--rotation-rules",
    ],
    "update-secret-version-stage": [
      "--secret-id",
      "--version-stage",
      "--remove-from-version-id",
      "--move-to-version-id",
    ],
  },
  sns: {
    "list-subscriptions-by-topic": ["--topic-arn"],
  },
  sqs: {
    "delete-message": ["--queue-url", "--receipt-handle"],
    "get-queue-attributes": ["--queue-url", "--attribute-names"],
    "purge-queue": ["--queue-url"],
    "receive-message": [
      "--queue-url",
      "--max-number-of-messages",
      "--visibility-timeout",
      "--wait-time-seconds",
      "--attribute-names",
      "--message-attribute-names",
    ],
  },
  sts: {
    "get-caller-identity": [],
  },
  xray: {
    "batch-get-traces": ["--trace-ids"],
    "get-sampling-rules": [],
    "get-trace-summaries": [
      "--start-time",
      "--end-time",
      "--filter-expression",
      "--time-range-type",
      "--sampling",
    ],
  },
};
const AWS_WAITERS: Record<string, string[]> = {
  rds: ["db-instance-available", "db-instance-deleted", "db-snapshot-available"],
};

const GIT_COMMANDS = new Set([
  "add",
  "checkout",
  "clone",
  "commit",
  "log",
  "pull",
  "push",
  "revert",
  "rev-parse",
  "status",
  "switch",
  "tag",
]);
const NPM_COMMANDS = new Set(["ci", "install", "run", "test"]);
const NPM_RUN_FLAGS = new Set(["--silent", "-s", "--if-present"]);
const PRISMA_COMMANDS: Record<string, true | string[]> = {
  db: ["execute", "pull", "push", "seed"],
  format: true,
  generate: true,
  migrate: ["deploy", "dev", "diff", "reset", "resolve", "status"],
  validate: true,
  version: true,
};

export interface Token {
  value: string;
  /** Whether any part was quoted (a quoted token is never an operator or a comment). */
  quoted: boolean;
}

/** A `<…>` placeholder the reader replaces (`<stack>`, `<12-digit account id>`). */
export function isPlaceholder(value: string): boolean {
  return /<[^>]+>/.test(value) || value.includes("…");
}

/**
 * Shell words of one logical line: quotes removed, `<…>` kept whole, `#` comments dropped,
 * operators (`&&`, `||`, `|`, `;`) as their own tokens.
 */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let value = "";
  let quoted = false;
  let started = false;
  const push = () => {
    if (started) tokens.push({ value, quoted });
    value = "";
    quoted = false;
    started = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unbalanced ${c} in: ${line}`);
      value += line.slice(i + 1, end);
      quoted = true;
      started = true;
      i = end;
    } else if (c === "<" && line.indexOf(">", i) > i) {
      // A placeholder, possibly with spaces (`<12-digit account id>`), inside or as a word.
      const end = line.indexOf(">", i);
      value += line.slice(i, end + 1);
      started = true;
      i = end;
    } else if (/\s/.test(c)) {
      push();
    } else if (c === "#" && !started) {
      break;
    } else if ((c === "&" || c === "|") && line[i + 1] === c) {
      push();
      tokens.push({ value: c + c, quoted: false });
      i++;
    } else if (c === "|" || c === ";") {
      push();
      tokens.push({ value: c, quoted: false });
    } else {
      value += c;
      started = true;
    }
  }
  push();
  return tokens;
}

const OPERATORS = new Set(["&&", "||", "|", ";"]);

/** Splits tokens into simple commands at operators. */
export function splitCommands(tokens: Token[]): Token[][] {
  const commands: Token[][] = [[]];
  for (const t of tokens) {
    if (!t.quoted && OPERATORS.has(t.value)) commands.push([]);
    else commands[commands.length - 1]!.push(t);
  }
  return commands.filter((c) => c.length > 0);
}

/** Logical lines of a shell block: `\` continuations joined, blanks and comments skipped. */
export function shellLines(
  lines: string[],
  lang: string,
  firstLine: number,
): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let pending: { line: number; text: string } | undefined;
  lines.forEach((raw, i) => {
    let text = raw;
    if (!pending && lang === "console") {
      if (!text.startsWith("$ ")) return; // output, not a command
      text = text.slice(2);
    }
    const continues = /\\\s*$/.test(text);
    const piece = text.replace(/\\\s*$/, "").trimEnd();
    pending = pending
      ? { line: pending.line, text: `${pending.text} ${piece.trim()}` }
      : { line: firstLine + i, text: piece };
    if (!continues) {
      if (pending.text.trim() !== "" && !pending.text.trim().startsWith("#")) out.push(pending);
      pending = undefined;
    }
  });
  if (pending) out.push(pending);
  return out;
}

const ROOT_FILES = new Set([
  ".mocharc.json",
  "BENCHMARKS.md",
  "Pulumi.prod.yaml",
  "Pulumi.staging.yaml",
  "Pulumi.yaml",
  "README.md",
  "biome.json",
  "package-lock.json",
  "package.json",
  "prisma.config.ts",
  "tsconfig.json",
]);
const TOP_DIRS =
  /^(?:\.\/)?(?:\.ci|\.github|docs|handlers|infra|policies|prisma|scripts|test|tools)\//;

/** Whether a word names a file or folder of this project (placeholders and globs excluded). */
export function looksLikeProjectPath(word: string): boolean {
  if (isPlaceholder(word) || /[*{}$]/.test(word)) return false;
  return ROOT_FILES.has(word) || TOP_DIRS.test(word);
}

export function projectPathExists(word: string, root = PROJECT_ROOT): boolean {
  return fs.existsSync(path.join(root, word.replace(/[#?].*$/, "")));
}

export interface CheckContext {
  root: string;
  scripts: Record<string, string>;
}

export function defaultContext(): CheckContext {
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  return { root: PROJECT_ROOT, scripts: pkg.scripts };
}

/** Arguments for a parser: placeholders become a value every option accepts. */
function concreteArgs(args: string[]): string[] {
  return args.map((a, i) => {
    if (!isPlaceholder(a)) return a;
    return args[i - 1] === "--program" ? "infra/index.ts" : "1";
  });
}

function stackFileProblem(args: string[], ctx: CheckContext): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = a.startsWith("--stack=")
      ? a.slice(8)
      : a === "--stack" || a === "-s"
        ? args[i + 1]
        : undefined;
    if (value === undefined || isPlaceholder(value)) continue;
    const stack = value.split("/").pop() ?? value;
    if (!fs.existsSync(path.join(ctx.root, `Pulumi.${stack}.yaml`))) {
      return `stack "${value}" has no Pulumi.${stack}.yaml`;
    }
  }
  return undefined;
}

function checkNpmRun(args: string[], ctx: CheckContext): string[] {
  let i = 0;
  while (i < args.length && NPM_RUN_FLAGS.has(args[i]!)) i++;
  const script = args[i];
  if (!script) return ["`npm run` without a script name"];
  if (!(script in ctx.scripts)) {
    return [
      `npm run ${script}: package.json has no script "${script}" (scripts: ${Object.keys(ctx.scripts).join(", ")})`,
    ];
  }
  const rest = args.slice(i + 1);
  if (rest.length > 0 && rest[0] !== "--") {
    return [
      `npm run ${script} ${rest.join(" ")}: arguments for the script must follow \`--\` (npm would take them as its own options)`,
    ];
  }
  const scriptArgs = rest.slice(1);
  const problems: string[] = [];
  const stack = stackFileProblem(scriptArgs, ctx);
  if (stack) problems.push(`npm run ${script}: ${stack}`);
  const parsers: Record<string, (argv: string[]) => unknown> = {
    deploy: parseDeployArgs,
    preview: parsePreviewArgs,
  };
  const parse = parsers[script];
  if (parse) {
    try {
      parse(concreteArgs(scriptArgs));
    } catch (err) {
      problems.push(`npm run ${script} -- ${scriptArgs.join(" ")}: ${(err as Error).message}`);
    }
  }
  return problems;
}

function checkNpm(args: string[], ctx: CheckContext): string[] {
  const sub = args[0];
  if (!sub || !NPM_COMMANDS.has(sub)) {
    return [
      `npm ${sub ?? ""}: not one of the npm commands the docs use (${[...NPM_COMMANDS].join(", ")})`,
    ];
  }
  if (sub === "run") return checkNpmRun(args.slice(1), ctx);
  if (sub === "test") {
    if (!("test" in ctx.scripts)) return ["npm test: package.json has no test script"];
    return args.length > 1
      ? [`npm test ${args.slice(1).join(" ")}: npm test takes no arguments here`]
      : [];
  }
  const positional = args.slice(1).filter((a) => !a.startsWith("-"));
  return positional.length > 0
    ? [`npm ${sub} ${positional.join(" ")}: the docs never install extra packages`]
    : [];
}

function checkSubcommands(
  tool: string,
  tree: Record<string, true | string[]>,
  args: string[],
): string[] {
  const sub = args[0];
  const entry = sub === undefined ? undefined : tree[sub];
  if (!entry)
    return [`${tool} ${sub ?? ""}: unknown subcommand (known: ${Object.keys(tree).join(", ")})`];
  if (entry !== true && (!args[1] || !entry.includes(args[1]))) {
    return [`${tool} ${sub} ${args[1] ?? ""}: unknown subcommand (known: ${entry.join(", ")})`];
  }
  return [];
}

function flagName(arg: string): string {
  return arg.split("=")[0]!;
}

function checkPulumi(args: string[], ctx: CheckContext): string[] {
  const problems = checkSubcommands("pulumi", PULUMI_COMMANDS, args);
  for (const a of args) {
    if (a.startsWith("-") && !PULUMI_FLAGS.has(flagName(a))) {
      problems.push(
        `pulumi ${args[0]}: flag ${flagName(a)} is not in the docs' allow-list of Pulumi CLI flags`,
      );
    }
  }
  const stack = stackFileProblem(args, ctx);
  if (stack) problems.push(`pulumi ${args[0]}: ${stack}`);
  return problems;
}

function checkAws(args: string[]): string[] {
  const [service, operation] = args;
  const ops = service === undefined ? undefined : AWS_COMMANDS[service];
  if (!ops)
    return [
      `aws ${service ?? ""}: service not in the docs' allow-list (${Object.keys(AWS_COMMANDS).join(", ")})`,
    ];
  const flags = operation === undefined ? undefined : ops[operation];
  if (!flags) {
    return [
      `aws ${service} ${operation ?? ""}: operation not in the docs' allow-list (${Object.keys(ops).join(", ")})`,
    ];
  }
  const problems: string[] = [];
  if (operation === "wait") {
    const waiter = args[2];
    if (!waiter || !(AWS_WAITERS[service!] ?? []).includes(waiter)) {
      problems.push(`aws ${service} wait ${waiter ?? ""}: unknown waiter`);
    }
  }
  for (const a of args.slice(2)) {
    if (!a.startsWith("--")) continue;
    const name = flagName(a);
    if (!flags.includes(name) && !AWS_GLOBAL_FLAGS.includes(name)) {
      problems.push(
        `aws ${service} ${operation}: no option ${name} in the docs' allow-list (${flags.join(", ")})`,
      );
    }
  }
  return problems;
}

function checkNode(args: string[], ctx: CheckContext): string[] {
  const file = args.find((a) => !a.startsWith("-"));
  if (!file || args.includes("-e")) return [];
  return fs.existsSync(path.join(ctx.root, file)) ? [] : [`node ${file}: no such file`];
}

function checkNpx(args: string[], ctx: CheckContext): string[] {
  const bin = args[0];
  if (!bin || !fs.existsSync(path.join(ctx.root, "node_modules", ".bin", bin))) {
    return [`npx ${bin ?? ""}: not a binary of this project's dependencies`];
  }
  return bin === "prisma" ? checkSubcommands("prisma", PRISMA_COMMANDS, args.slice(1)) : [];
}

/** Problems of one simple command (tokens without operators). */
export function checkCommand(tokens: Token[], ctx: CheckContext = defaultContext()): string[] {
  const words = tokens.map((t) => t.value);
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) i++; // VAR=value prefixes
  const tool = words[i];
  if (tool === undefined) return [];
  const args = words.slice(i + 1);
  if (!(TOOLS as readonly string[]).includes(tool)) {
    return [
      `\`${tool}\` is not a project script or a tool the docs may name (${TOOLS.join(", ")})`,
    ];
  }
  const problems: string[] = [];
  for (const word of args) {
    if (looksLikeProjectPath(word) && !projectPathExists(word, ctx.root)) {
      problems.push(`${tool}: ${word} does not exist in the project`);
    }
  }
  switch (tool) {
    case "npm":
      problems.push(...checkNpm(args, ctx));
      break;
    case "npx":
      problems.push(...checkNpx(args, ctx));
      break;
    case "node":
      problems.push(...checkNode(args, ctx));
      break;
    case "pulumi":
      problems.push(...checkPulumi(args, ctx));
      break;
    case "aws":
      problems.push(...checkAws(args));
      break;
    case "git":
      if (!args[0] || !GIT_COMMANDS.has(args[0]))
        problems.push(`git ${args[0] ?? ""}: unknown subcommand`);
      break;
  }
  return problems;
}

/** Problems of a whole line (several commands joined by operators). */
export function checkCommandLine(line: string, ctx: CheckContext = defaultContext()): string[] {
  // `VAR=$(cmd … | tool …)`: the command substitution's commands are checked like any other.
  const unwrapped = line.replace(/^([A-Za-z_][A-Za-z0-9_]*)=\$\((.*)\)(\s*(#.*)?)$/, "$2$3");
  return splitCommands(tokenize(unwrapped)).flatMap((tokens) => checkCommand(tokens, ctx));
}

/**
 * An inline code span in prose: an `npm run` script must exist, a project path must exist.
 * Other spans (identifiers, fragments of commands) are prose.
 */
export function checkInlineCode(code: string, ctx: CheckContext = defaultContext()): string[] {
  if (/^npm run\s/.test(code)) {
    const [, , ...rest] = code.split(" ");
    let i = 0;
    while (i < rest.length && NPM_RUN_FLAGS.has(rest[i]!)) i++;
    const script = rest[i];
    if (script && !isPlaceholder(script) && !(script in ctx.scripts)) {
      return [`\`${code}\`: package.json has no script "${script}"`];
    }
    return [];
  }
  if (!/\s/.test(code) && looksLikeProjectPath(code) && !projectPathExists(code, ctx.root)) {
    return [`\`${code}\` does not exist in the project`];
  }
  return [];
}
