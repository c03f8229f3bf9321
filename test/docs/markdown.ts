/**
 * The docs tests' view of a Markdown file, from marked's lexer: fenced code blocks, inline code
 * spans, links and headings (with the anchors GitHub gives them, from github-slugger), each
 * with its 1-based line.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import GithubSlugger from "github-slugger";
import { lexer, type Token, type Tokens, walkTokens } from "marked";

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
  headings: Heading[];
  /** Inline code spans (in paragraphs, headings, lists and tables), with their line. */
  spans: Array<{ line: number; code: string }>;
  links: Array<{ line: number; target: string }>;
  /** Top-level blocks of prose (paragraphs, tables, list items…), with their first line. */
  paragraphs: Array<{ line: number; text: string }>;
}

/** GitHub's anchor for a heading (a repeated one gets `-1`, `-2`, … through `slugger`). */
export function githubAnchor(text: string, slugger = new GithubSlugger()): string {
  return slugger.slug(text);
}

const FENCE_CLOSED = /\n {0,3}(`{3,}|~{3,})[ \t]*\n*$/;

export function parseMarkdown(file: string, text: string): MarkdownDoc {
  const tokens = lexer(text);
  // The lexer reports no positions. Tokens come in document order, so each one's raw text is
  // found from where the previous one was. Inside lists and block quotes a child's raw text
  // loses its indent and `>` markers: search with both removed from every line (which keeps
  // the line count, hence the line numbers); a table cell's raw text has its `\|` unescaped.
  const flat = (s: string) => s.replace(/^[ \t>]+/gm, "").replace(/\\\|/g, "|");
  const searchable = flat(text);
  let cursor = 0;
  const lineAt = (offset: number) => searchable.slice(0, offset).split("\n").length;
  const locate = (raw: string, leaf: boolean): number => {
    const needle = flat(raw);
    const found = searchable.indexOf(needle, cursor);
    if (found < 0) return lineAt(cursor);
    cursor = leaf ? found + needle.length : found;
    return lineAt(found);
  };

  const doc: MarkdownDoc = {
    file,
    text,
    blocks: [],
    headings: [],
    spans: [],
    links: [],
    paragraphs: [],
  };
  const slugger = new GithubSlugger();
  for (const token of tokens) {
    if (token.type === "space" || token.type === "code" || token.type === "hr") {
      locate(token.raw, true);
      continue;
    }
    const items = token.type === "list" ? (token as Tokens.List).items : [token];
    for (const item of items) {
      doc.paragraphs.push({ line: locate(item.raw, true), text: item.raw.trim() });
    }
  }
  cursor = 0;
  // The callback is synchronous: walkTokens returns its (undefined) results, nothing to await.
  void walkTokens(tokens, (token: Token) => {
    // A container (paragraph, list, table…) is walked into next: the cursor stays at its start.
    const leaf = !["tokens", "items", "rows"].some((k) => k in token && (token as never)[k]);
    const line = "raw" in token && token.raw ? locate(token.raw, leaf) : lineAt(cursor);
    switch (token.type) {
      case "code": {
        const code = token as Tokens.Code;
        if (code.codeBlockStyle === "indented") break;
        if (!FENCE_CLOSED.test(code.raw.trimEnd().concat("\n"))) {
          throw new Error(`${file}:${line}: code fence never closed`);
        }
        const lang = (code.lang ?? "").split(/\s/)[0]!.toLowerCase();
        doc.blocks.push({ lang, line: line + 1, lines: code.text.split("\n") });
        break;
      }
      case "heading": {
        const heading = token as Tokens.Heading;
        const anchor = githubAnchor(heading.text, slugger);
        doc.headings.push({ level: heading.depth, text: heading.text, anchor });
        break;
      }
      case "codespan":
        doc.spans.push({ line, code: (token as Tokens.Codespan).text.replace(/\s+/g, " ").trim() });
        break;
      case "link":
        doc.links.push({ line, target: (token as Tokens.Link).href });
        break;
    }
  });
  return doc;
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

/** Inline code spans of the prose, with their line. */
export function inlineCode(doc: MarkdownDoc): Array<{ line: number; code: string }> {
  return doc.spans;
}

/** Markdown links `[text](target)` of the prose, with their line. */
export function links(doc: MarkdownDoc): Array<{ line: number; target: string }> {
  return doc.links;
}

/** Blocks of prose (paragraphs, tables, each list item), with their first line. */
export function paragraphs(doc: MarkdownDoc): Array<{ line: number; text: string }> {
  return doc.paragraphs;
}
