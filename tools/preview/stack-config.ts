import * as fs from "node:fs";
import * as path from "node:path";
import { load as parseYaml } from "js-yaml";
import { stackConfigError } from "../lib/errors";

/** Stack configuration as the Pulumi CLI hands it to a program (`PULUMI_CONFIG`). */
export interface LoadedStackConfig {
  project: string;
  stack: string;
  /** Namespaced keys (`aws:region`, `huntaze-api:samplingRate`); values are strings, objects as JSON. */
  config: Record<string, string>;
  /** Keys whose values are Pulumi secrets (`secure:` in the stack file). */
  secretKeys: string[];
  /** The stack file the values came from, for error messages. */
  stackFile: string;
}

/**
 * The plaintext substituted for a `secure:` value, which cannot be decrypted offline
 * (it is encrypted with the stack's secrets provider). Tests and the offline preview only
 * need the value to exist and to stay a Pulumi secret.
 */
export function offlineSecretPlaceholder(key: string): string {
  return `offline-placeholder-for-${key.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

interface ProjectFile {
  name?: unknown;
  main?: unknown;
  config?: Record<string, unknown>;
}

function readYaml(file: string): unknown {
  try {
    return parseYaml(fs.readFileSync(file, "utf8")) ?? {};
  } catch (err) {
    throw stackConfigError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
}

function namespaced(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

function encode(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function isSecure(value: unknown): value is { secure: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { secure?: unknown }).secure === "string"
  );
}

/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the CLI merges them: project-level
 * `config` values and defaults first, the stack file wins. `environment:` (Pulumi ESC)
 * references cannot be resolved offline and are rejected with that explanation.
 */
export function loadStackConfig(projectDir: string, stack: string): LoadedStackConfig {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
    throw stackConfigError(
      `invalid stack name "${stack}": use letters, digits, "-", "_" or "." (e.g. --stack prod)`,
    );
  }
  const projectFile = path.join(projectDir, "Pulumi.yaml");
  if (!fs.existsSync(projectFile)) {
    throw stackConfigError(`no Pulumi.yaml in ${projectDir}`);
  }
  const projectDoc = readYaml(projectFile) as ProjectFile;
  if (typeof projectDoc.name !== "string") {
    throw stackConfigError(`${projectFile} must set "name"`);
  }
  const project = projectDoc.name;

  const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) {
    const known = fs
      .readdirSync(projectDir)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined);
    throw stackConfigError(
      `unknown stack "${stack}": ${path.basename(stackFile)} does not exist (stacks: ${known.join(", ") || "none"})`,
    );
  }
  const stackDoc = readYaml(stackFile) as { config?: unknown; environment?: unknown };
  if (stackDoc.environment !== undefined) {
    throw stackConfigError(
      `${path.basename(stackFile)} uses "environment:" (Pulumi ESC), which cannot be resolved offline; put the values under "config:"`,
    );
  }

  const config: Record<string, string> = {};
  const secretKeys = new Set<string>();

  for (const [key, raw] of Object.entries(projectDoc.config ?? {})) {
    const full = namespaced(project, key);
    if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
      const spec = raw as { value?: unknown; default?: unknown; secret?: unknown };
      const value = spec.value ?? spec.default;
      if (value !== undefined) config[full] = encode(value);
    } else if (raw !== undefined) {
      config[full] = encode(raw);
    }
  }

  const stackConfig = stackDoc.config ?? {};
  if (typeof stackConfig !== "object" || Array.isArray(stackConfig)) {
    throw stackConfigError(
      `${path.basename(stackFile)}: "config" must be a mapping of keys to values`,
    );
  }
  for (const [key, raw] of Object.entries(stackConfig as Record<string, unknown>)) {
    const full = namespaced(project, key);
    if (isSecure(raw)) {
      config[full] = offlineSecretPlaceholder(full);
      secretKeys.add(full);
    } else if (raw !== null && raw !== undefined) {
      config[full] = encode(raw);
      secretKeys.delete(full);
    }
  }

  return {
    project,
    stack,
    config,
    secretKeys: [...secretKeys].sort(),
    stackFile: path.basename(stackFile),
  };
}

/** Where the engine runs a project's program from, and what it loads. */
export interface ProjectMain {
  /** The module the language host loads (a file, or a directory Node resolves). */
  program: string;
  /** The program's working directory: asset and archive paths resolve from it. */
  workDir: string;
}

/**
 * `main` of `Pulumi.yaml` the way the engine reads it (getPwdMain, pkg/engine/project.go): a file
 * runs from its directory, a directory from itself, no `main` from the project directory.
 */
export function projectMain(projectDir: string): ProjectMain {
  const projectFile = path.join(projectDir, "Pulumi.yaml");
  const doc = (fs.existsSync(projectFile) ? readYaml(projectFile) : {}) as ProjectFile;
  if (doc.main !== undefined && typeof doc.main !== "string") {
    throw stackConfigError(`${projectFile}: "main" must be a path`);
  }
  const main = path.resolve(projectDir, doc.main ?? ".");
  if (!fs.existsSync(main)) {
    throw stackConfigError(
      `${projectFile}: main "${doc.main}" does not exist (the engine would fail to run the program)`,
    );
  }
  const isDir = fs.statSync(main).isDirectory();
  return { program: main, workDir: isDir ? main : path.dirname(main) };
}
