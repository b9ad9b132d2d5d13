// Renders a DiagnosticResult for people: grouped by category, worst first, with the evidence
// and the suggestion; ANSI colour only when asked (a terminal without NO_COLOR).
import type { DiagnosticResult, Finding, Severity } from '../sdk/diagnostics.js';

const CODES = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', yellow: '\x1b[33m', green: '\x1b[32m', cyan: '\x1b[36m', magenta: '\x1b[35m' };
type Style = keyof typeof CODES;

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const SEVERITY_STYLE: Record<Severity, Style> = { critical: 'red', warning: 'yellow', info: 'cyan' };
const STATUS_STYLE: Record<string, Style> = { healthy: 'green', warning: 'yellow', critical: 'red', unknown: 'magenta' };

/** Colour on a terminal unless NO_COLOR is set (https://no-color.org); FORCE_COLOR forces it. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== '') return true;
  return stream.isTTY === true;
}

function value(v: unknown, max = 160): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function evidenceLines(evidence: Record<string, unknown>): string[] {
  const scalars: string[] = [];
  const nested: string[] = [];
  for (const [k, v] of Object.entries(evidence)) {
    if (v === undefined) continue;
    if (v === null || typeof v !== 'object') scalars.push(`${k}=${value(v, 80)}`);
    else if (Array.isArray(v)) {
      nested.push(`${k}: ${v.length} item(s)`);
      for (const item of v.slice(0, 5)) nested.push(`  - ${value(item)}`);
      if (v.length > 5) nested.push(`  - … ${v.length - 5} more (see --json)`);
    } else nested.push(`${k}: ${value(v)}`);
  }
  const out: string[] = [];
  // Wrap the key=value pairs at about 100 columns.
  let line = '';
  for (const s of scalars) {
    if (line && line.length + s.length + 2 > 100) {
      out.push(line);
      line = '';
    }
    line = line ? `${line}  ${s}` : s;
  }
  if (line) out.push(line);
  return [...out, ...nested];
}

export function renderReport(result: DiagnosticResult, color: boolean): string {
  const paint = (style: Style, s: string) => (color ? `${CODES[style]}${s}${CODES.reset}` : s);
  const bold = (s: string) => paint('bold', s);
  const out: string[] = [];
  const version = result.server && typeof result.server.version === 'string' ? ` · ${result.server.version.split(' on ')[0]}` : '';
  out.push(`${bold(result.plugin_id)} · ${result.target}${version}`);
  out.push(
    `status: ${paint(STATUS_STYLE[result.status] ?? 'bold', bold(result.status.toUpperCase()))} · ${result.findings.length} finding(s) · ${result.duration_ms} ms · started ${result.started_at}`,
  );
  const groups = new Map<string, Finding[]>();
  for (const f of result.findings) groups.set(f.category, [...(groups.get(f.category) ?? []), f]);
  // Categories with the worst findings first; within one, worst first.
  const ordered = [...groups.entries()].sort(([, a], [, b]) => Math.min(...a.map((f) => RANK[f.severity])) - Math.min(...b.map((f) => RANK[f.severity])));
  for (const [category, findings] of ordered) {
    out.push('', bold(`▸ ${category}`));
    for (const f of [...findings].sort((a, b) => RANK[a.severity] - RANK[b.severity])) {
      const tag = paint(SEVERITY_STYLE[f.severity], f.severity.toUpperCase().padEnd(8));
      out.push(`  ${tag} ${bold(f.code)}  ${f.message}`);
      for (const l of evidenceLines(f.evidence ?? {})) out.push(paint('dim', `           ${l}`));
      if (f.suggestion) out.push(`           → ${f.suggestion}`);
    }
  }
  if (result.findings.length === 0) out.push('', paint('green', 'No findings.'));
  const metrics = Object.entries(result.metrics ?? {});
  if (metrics.length) {
    out.push('', bold('▸ metrics'));
    let line = '';
    for (const [k, v] of metrics) {
      const s = `${k}=${v}`;
      if (line && line.length + s.length + 2 > 100) {
        out.push(`  ${line}`);
        line = '';
      }
      line = line ? `${line}  ${s}` : s;
    }
    if (line) out.push(`  ${line}`);
  }
  return `${out.join('\n')}\n`;
}
