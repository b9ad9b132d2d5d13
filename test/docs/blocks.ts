// Fenced code blocks of README.md and docs/*.md, and the command lines of the shell blocks among them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Block {
  /** Relative to the repository root: `README.md`, `docs/cli.md`. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The first word of the info string (`sh`, `yaml`, `ts`, `json`, or '' for a plain block). */
  lang: string;
  /** The rest of the info string (`file=handler`). */
  attrs: string;
  body: string;
}

export interface CommandLine {
  block: Block;
  /** 1-based line in the doc where the command starts. */
  line: number;
  /** The command with continuations joined and its trailing comment removed. */
  command: string;
  /** The trailing `# …` comment of the command, if any. */
  comment?: string;
  /** Comment lines right below the command (`# {"message":"…"}`): what the doc says it prints. */
  output: string[];
}

export function docFiles(): string[] {
  return [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
}

export function blocksOf(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim() === fence && l.startsWith(indent!)) break;
      body.push(l.startsWith(indent!) ? l.slice(indent!.length) : l);
    }
    if (j === lines.length) throw new Error(`${file}:${i + 1}: unclosed code fence`);
    const [lang = '', ...rest] = info!.trim().split(/\s+/);
    out.push({ file, line: i + 1, lang, attrs: rest.join(' '), body: body.length ? `${body.join('\n')}\n` : '' });
    i = j;
  }
  return out;
}

export function allBlocks(): Block[] {
  return docFiles().flatMap(blocksOf);
}

/** Index of the `#` that starts a comment (outside quotes, after whitespace or at the start), or -1. */
function commentStart(s: string): number {
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) return i;
  }
  return -1;
}

export const isShell = (b: Block): boolean => b.lang === 'sh' || b.lang === 'bash' || b.lang === 'shell';

/** The command lines of a shell block: continuations joined, comments split off, output comments attached. */
export function commandLines(block: Block): CommandLine[] {
  const raw = block.body.split('\n');
  const out: CommandLine[] = [];
  for (let i = 0; i < raw.length; i++) {
    const first = raw[i]!;
    if (!first.trim()) continue;
    if (first.trim().startsWith('#')) {
      const last = out[out.length - 1];
      if (!last) throw new Error(`${block.file}:${block.line + 1 + i}: a comment before any command`);
      last.output.push(first.trim().replace(/^#\s?/, ''));
      continue;
    }
    const start = i;
    let text = first;
    while (/\\\s*$/.test(text) && i + 1 < raw.length) text = `${text.replace(/\\\s*$/, '')} ${raw[++i]!.trim()}`;
    const c = commentStart(text);
    const command = (c < 0 ? text : text.slice(0, c)).trim().replace(/\s+/g, ' ');
    const comment = c < 0 ? undefined : text.slice(c + 1).trim();
    out.push({ block, line: block.line + 1 + start, command, ...(comment ? { comment } : {}), output: [] });
  }
  return out;
}
