// Building ManifestIssues: a catalogue code, a message without the location prefix (the issue
// carries file/line/col itself), and the field path.
import { PlugwayError, type ErrorCode, type ErrorParams } from '../errors.js';
import type { ManifestIssue } from './types.js';
import { formatPath, locate, sourceTextAt, type PathSegment, type Position, type YamlSource } from './yaml-source.js';

export class IssueCollector {
  readonly errors: ManifestIssue[] = [];
  readonly warnings: ManifestIssue[] = [];
  private source: YamlSource | (() => YamlSource) | undefined;

  /** `src` may be a function: the positioned parse is then made only when an issue needs a position. */
  constructor(
    readonly file: string,
    src?: YamlSource | (() => YamlSource),
  ) {
    this.source = src;
  }

  get src(): YamlSource | undefined {
    if (typeof this.source === 'function') this.source = this.source();
    return this.source;
  }

  position(path: readonly PathSegment[], which: 'key' | 'value' = 'value'): Position {
    const src = this.src;
    return src ? locate(src, path, which) : { line: 1, col: 1 };
  }

  /**
   * A value as an error shows it: a string as is; any other scalar as written in the file
   * (`version: 1.0` is the number 1 once parsed, and "1" would mislead), else as JSON.
   */
  shown(path: readonly PathSegment[], value: unknown): string {
    if (typeof value === 'string') return value;
    if (value === null || typeof value !== 'object') {
      const text = this.src ? sourceTextAt(this.src, path) : undefined;
      if (text !== undefined && text !== '') return text;
    }
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  }

  /** Adds an issue at `path` (or at an explicit position). `params.path` defaults to the formatted path. */
  add(code: ErrorCode, path: readonly PathSegment[], params: ErrorParams = {}, opts: { which?: 'key' | 'value'; at?: Position; severity?: 'error' | 'warning'; message?: string } = {}): ManifestIssue {
    const at = opts.at ?? this.position(path, opts.which);
    const full = { file: this.file, line: at.line, col: at.col, path: formatPath(path), ...params };
    const prefix = `${this.file}:${at.line}:${at.col}: `;
    let message = opts.message ?? PlugwayError.rebuilt(code, full).message;
    if (message.startsWith(prefix)) message = message.slice(prefix.length);
    const issue: ManifestIssue = {
      code,
      message,
      file: this.file,
      line: at.line,
      col: at.col,
      path: formatPath(path),
      severity: opts.severity ?? 'error',
    };
    const list = issue.severity === 'error' ? this.errors : this.warnings;
    if (!list.some((i) => i.code === issue.code && i.path === issue.path && i.message === issue.message)) list.push(issue);
    return issue;
  }

  has(path: readonly PathSegment[]): boolean {
    const p = formatPath(path);
    return this.errors.some((e) => e.path === p);
  }
}

/** `file:line:col CODE message`, the CLI's one-line form. */
export function formatIssue(i: ManifestIssue): string {
  const where = i.file ? `${i.file}:${i.line ?? 1}:${i.col ?? 1}` : '(manifest)';
  return `${where} ${i.code} ${i.message}`;
}
