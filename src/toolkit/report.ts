// Human-readable rendering of a `plugway plugin test` report, and a small table helper shared by
// the admin commands.
import type { HarnessReport } from './harness.js';

/** Left-aligned columns; every cell stringified. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const cells = [headers.map(String), ...rows.map((r) => r.map((c) => (c === undefined || c === null ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const ms = (n: number | undefined) => (n === undefined ? '-' : `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`);

export function formatReport(r: HarnessReport): string {
  const out: string[] = [];
  const p = r.plugin;
  out.push(p ? `plugin ${p.id}@${p.version} (${p.kind}, ${p.runtime}) in ${r.dir}` : `plugin in ${r.dir}`);
  out.push('', 'lifecycle');
  out.push(
    table(
      ['step', 'result', 'time', 'detail'],
      r.steps.map((s) => [s.step, s.ok ? 'ok' : 'FAIL', ms(s.durationMs), s.detail ?? '']),
    ),
  );
  if (r.endpoints.length) {
    out.push('', 'endpoints');
    out.push(
      table(
        ['method', 'path', 'fixtures'],
        r.endpoints.map((e) => [e.method, e.path, e.fixtures]),
      ),
    );
  }
  if (r.fixtures.length) {
    out.push('', 'fixtures');
    out.push(
      table(
        ['fixture', 'target', 'result', 'p50', 'p99', 'calls'],
        r.fixtures.map((f) => [f.name, f.target, f.ok ? 'ok' : 'FAIL', ms(f.p50Ms), ms(f.p99Ms), f.samples]),
      ),
    );
  }
  const res = r.resources;
  if (res.p50Ms !== undefined || res.memoryUsedMb !== undefined) {
    out.push('', 'resources');
    out.push(
      table(
        ['measure', 'value', 'limit (plugin.yaml resources)'],
        [
          ['call time p50 / p99', `${ms(res.p50Ms)} / ${ms(res.p99Ms)}`, res.timeoutMs !== undefined ? `timeout ${res.timeoutMs} ms` : 'timeout: host default'],
          ['memory', res.memoryUsedMb !== undefined ? `${res.memoryUsedMb.toFixed(1)} MB (${res.memorySource})` : '-', res.memoryMb !== undefined ? `${res.memoryMb} MB` : 'none'],
        ],
      ),
    );
  }
  out.push('');
  // before the manifest is read (no such folder, a broken plugin.yaml) the folder names the plugin
  const name = p?.id ?? r.dir;
  if (r.ok) out.push(`PASS ${name}: ${r.fixtures.length} fixtures, every step ok`);
  else out.push(`FAIL ${name}: ${r.failures.length} problem${r.failures.length === 1 ? '' : 's'}`, ...r.failures.map((f) => `  - ${f}`));
  return `${out.join('\n')}\n`;
}
