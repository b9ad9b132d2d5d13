// Test helpers shared by the diagnostics plugins' tests: one connect → diagnose → disconnect,
// reading findings, the result's and the manifest's contract, polling, throw-away TLS certificates,
// and the CLI (`plugway diagnose`) for exit codes.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { DiagnosticResult, DiagnosticsPlugin, DiagnosticTarget, Finding, PluginContext } from 'plugway/sdk';
import { waitFor } from '../helpers/wait.js';

/** The ctx the host would give: only the config matters to the diagnostics plugins. */
export const ctxOf = <C>(config: C) => ({ config }) as unknown as PluginContext<C>;

/**
 * A `diagnose(target, config?, windowMs?, categories?)` that runs a fresh plugin from `create(config)`
 * through connect → diagnose → disconnect, with the host's ctx carrying the same config.
 */
export function diagnoser<C extends object>(create: (config: C) => DiagnosticsPlugin<C>, defaults: { windowMs: number; categories?: string[] }) {
  return async (target: string | DiagnosticTarget, config = {} as C, windowMs = defaults.windowMs, categories = defaults.categories): Promise<DiagnosticResult> => {
    const p = create(config);
    await p.connect(typeof target === 'string' ? { url: target } : target, ctxOf(config));
    try {
      return await p.diagnose({ windowMs, categories }, ctxOf(config));
    } finally {
      await p.disconnect(ctxOf(config));
    }
  };
}

export const codes = (r: DiagnosticResult): string[] => r.findings.map((f) => f.code);
export const find = (r: DiagnosticResult, code: string): Finding | undefined => r.findings.find((f) => f.code === code);

/** The finding with `code` (and `severity` when given) and a real suggestion, or a failure listing what was found. */
export function expectFinding(r: DiagnosticResult, code: string, severity?: string): Finding {
  const f = find(r, code);
  assert.ok(f, `${code} expected; got ${r.findings.map((x) => `${x.code}/${x.severity}`).join(', ')}`);
  if (severity) assert.equal(f.severity, severity, `${code} severity`);
  assert.ok(f.suggestion.length > 10, `${code} has a suggestion`);
  return f;
}

/** A DiagnosticResult as docs/diagnostics.md describes it, every finding code with the system's prefix. */
export function assertResultShape(r: DiagnosticResult, pluginId: string, codePrefix: string): void {
  assert.equal(r.plugin_id, pluginId);
  assert.match(r.target, /@127\.0\.0\.1:\d+/);
  assert.ok(['healthy', 'warning', 'critical', 'unknown'].includes(r.status));
  assert.ok(!Number.isNaN(Date.parse(r.started_at)));
  assert.ok(r.duration_ms >= 0);
  for (const f of r.findings) {
    assert.ok(f.category && f.code.startsWith(codePrefix) && f.message && f.suggestion, JSON.stringify(f));
    assert.ok(['info', 'warning', 'critical'].includes(f.severity));
    assert.equal(typeof f.evidence, 'object');
  }
  for (const v of Object.values(r.metrics)) assert.equal(typeof v, 'number');
}

/** No warning or critical finding, status healthy. */
export function assertHealthy(r: DiagnosticResult): void {
  const loud = r.findings.filter((f) => f.severity !== 'info');
  assert.deepEqual(loud, [], JSON.stringify(loud, null, 1));
  assert.equal(r.status, 'healthy');
}

/**
 * plugins/<id>/plugin.yaml declares the plugin's contract: kind diagnostics, the actions the code
 * whitelists, POST /diagnostics/<system> behind auth, and every threshold with the code's default.
 */
export function assertManifestMatches(id: string, code: { actions: readonly string[]; defaults: object }): Record<string, unknown> {
  const m = parse(readFileSync(new URL(`../../plugins/${id}/plugin.yaml`, import.meta.url), 'utf8'));
  assert.equal(m.id, id);
  assert.equal(m.kind, 'diagnostics');
  assert.deepEqual(m.actions, [...code.actions]);
  const system = id.replace(/-diagnostics$/, '');
  assert.deepEqual(
    m.endpoints.map((e: { path: string; method: string; auth: string }) => [e.method, e.path, e.auth]),
    [['POST', `/diagnostics/${system}`, 'required']],
  );
  const props = m.config_schema.properties as Record<string, { default: unknown }>;
  assert.deepEqual(Object.keys(props).sort(), Object.keys(code.defaults).sort());
  for (const [k, v] of Object.entries(code.defaults)) assert.deepEqual(props[k]!.default, v, `config_schema default of ${k}`);
  return m;
}

/** Polls until the condition holds: servers change state asynchronously (a backend starting to wait). */
export async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 15_000, everyMs = 50): Promise<void> {
  await waitFor(fn, { what, timeoutMs, everyMs });
}

/**
 * until() for a condition read from information_schema.INNODB_TRX, polled every 150 ms: InnoDB serves
 * it from a cache that it refreshes only when the last read is over 0.1 s old, so a faster poll keeps
 * reading the first snapshot forever.
 */
export function untilInnodbTrx(what: string, fn: () => Promise<boolean>): Promise<void> {
  return until(what, fn, 15_000, 150);
}

/** A throw-away self-signed certificate for 127.0.0.1 in `dir` (openssl). */
export function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
    stdio: 'ignore',
  });
  return { cert, key };
}

/** Runs `node bin/plugway.js diagnose <args>` and resolves with its exit code and output. */
export function plugwayDiagnose(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/plugway.js', 'diagnose', ...args], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
