/**
 * Just enough Markdown for the docs tests: fenced code blocks, the prose around them (for inline
 * code spans and links), and headings with the anchors GitHub gives them.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export interface CodeBlock {
  /** The fence's info string, first word (`sh`, `json`, or "" when unlabeled). */
  lang: string;
  /** 1-based line of the block's first content line. */
  line: number;
  lines: string[];
}

export interface Heading {
  level: number;
  text: string;
  anchor: string;
}

export interface MarkdownDoc {
  /** Project-relative path. */
  file: string;
  text: string;
  blocks: CodeBlock[];
  /** Every line outside code fences, with its 1-based number. */
  prose: Array<{ line: number; text: string }>;
  headings: Heading[];
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/;

/**
 * GitHub's heading anchors: lower case, punctuation dropped (letters, digits, spaces, `-` and `_`
 * stay), spaces to hyphens; a repeated anchor gets `-1`, `-2`, ….
 */
export function githubAnchor(text: string, seen?: Map<string, number>): string {
  const base = text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
  if (!seen) return base;
  const count = seen.get(base) ?? 0;
  seen.set(base, count + 1);
  return count === 0 ? base : `${base}-${count}`;
}

export function parseMarkdown(file: string, text: string): MarkdownDoc {
  const blocks: CodeBlock[] = [];
  const prose: MarkdownDoc["prose"] = [];
  const headings: Heading[] = [];
  const seen = new Map<string, number>();
  const lines = text.split("\n");
  let open: { fence: string; block: CodeBlock } | undefined;
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const fence = FENCE.exec(raw);
    if (open) {
      if (fence && fence[1]!.startsWith(open.fence) && raw.trim() === fence[1]) {
        blocks.push(open.block);
        open = undefined;
      } else open.block.lines.push(raw);
      return;
    }
    if (fence) {
      open = {
        fence: fence[1]!,
        block: { lang: (fence[2] ?? "").toLowerCase(), line: lineNo + 1, lines: [] },
      };
      return;
    }
    prose.push({ line: lineNo, text: raw });
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(raw);
    if (heading) {
      const headingText = heading[2]!;
      headings.push({
        level: heading[1]!.length,
        text: headingText,
        anchor: githubAnchor(headingText, seen),
      });
    }
  });
  if (open) throw new Error(`${file}:${open.block.line - 1}: code fence never closed`);
  return { file, text, blocks, prose, headings };
}

export function readMarkdown(relativePath: string): MarkdownDoc {
  return parseMarkdown(
    relativePath,
    fs.readFileSync(path.join(PROJECT_ROOT, relativePath), "utf8"),
  );
}

/** docs/*.md and README.md: the files whose commands must be real. */
export function documentationFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(PROJECT_ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return [...docs, "README.md"];
}

/** Inline code spans of the prose (a span may wrap onto the next line), with their line. */
export function inlineCode(doc: MarkdownDoc): Array<{ line: number; code: string }> {
  const spans: Array<{ line: number; code: string }> = [];
  // Paragraphs: a span never crosses a blank line.
  let paragraph: MarkdownDoc["prose"] = [];
  const flush = () => {
    if (paragraph.length === 0) return;
    const joined = paragraph.map((p) => p.text).join("\n");
    for (const m of joined.matchAll(/(`+)([^`]+?)\1(?!`)/g)) {
      const before = joined.slice(0, m.index);
      const line = paragraph[0]!.line + (before.match(/\n/g)?.length ?? 0);
      spans.push({ line, code: m[2]!.replace(/\s+/g, " ").trim() });
    }
    paragraph = [];
  };
  for (const entry of doc.prose) {
    if (entry.text.trim() === "") flush();
    else paragraph.push(entry);
  }
  flush();
  return spans;
}

/** Markdown links `[text](target)` of the prose, with their line. */
export function links(doc: MarkdownDoc): Array<{ line: number; target: string }> {
  const found: Array<{ line: number; target: string }> = [];
  for (const { line, text } of doc.prose) {
    // Inline code may contain brackets that are not links.
    const withoutCode = text.replace(/`[^`]*`/g, "``");
    for (const m of withoutCode.matchAll(/\]\(([^)\s]+)\)/g)) found.push({ line, target: m[1]! });
  }
  return found;
}

/** Paragraphs (blocks of prose lines between blank lines, tables included), with their line. */
export function paragraphs(doc: MarkdownDoc): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let current: MarkdownDoc["prose"] = [];
  const flush = () => {
    if (current.length)
      out.push({ line: current[0]!.line, text: current.map((c) => c.text).join("\n") });
    current = [];
  };
  for (const entry of doc.prose) {
    if (entry.text.trim() === "") flush();
    else current.push(entry);
  }
  flush();
  return out;
}
