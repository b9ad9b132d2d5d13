// `plugway diagnose` end to end: spawns node bin/plugway.js against the local servers and checks
// exit codes (0 healthy, 1 warning, 2 critical, 3 could not connect, 64 usage) and the JSON shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort, serviceSkip } from '../helpers/services.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function plugway(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return node(['bin/plugway.js', 'diagnose', ...args], env);
}

function node(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function assertResult(json: unknown, pluginId: string): Record<string, unknown> {
  const r = json as Record<string, unknown>;
  assert.equal(r.plugin_id, pluginId);
  assert.equal(typeof r.target, 'string');
  assert.ok(['healthy', 'warning', 'critical', 'unknown'].includes(String(r.status)));
  assert.ok(Array.isArray(r.findings));
  for (const f of r.findings as Array<Record<string, unknown>>) {
    for (const k of ['category', 'severity', 'code', 'message', 'evidence', 'suggestion']) assert.ok(k in f, `finding lacks ${k}: ${JSON.stringify(f)}`);
  }
  assert.equal(typeof r.metrics, 'object');
  assert.ok(!Number.isNaN(Date.parse(String(r.started_at))));
  assert.equal(typeof r.duration_ms, 'number');
  return r;
}

const pgUrl = 'postgres://postgres@127.0.0.1:5432/test';

test('postgres: healthy, warning and critical map to exit 0, 1 and 2 (thresholds moved with --set)', async (t) => {
  const skip = await serviceSkip('postgres');
  if (skip) return t.skip(skip);
  const healthy = await plugway(['postgres', pgUrl, '--category', 'connections', '--window', '200ms', '--json']);
  assert.equal(healthy.code, 0, healthy.stderr + healthy.stdout);
  const r = assertResult(JSON.parse(healthy.stdout), 'postgres-diagnostics');
  assert.equal(r.status, 'healthy');
  assert.ok((r.findings as Array<{ category: string }>).every((f) => f.category === 'connections'));
  // The diagnosis's own connection does not count, so others may hold none: with the warning level at 0 the same server warns…
  const warning = await plugway(['postgres', pgUrl, '--category', 'connections', '--window', '200ms', '--json', '--set', 'connections_warning_ratio=0', '--set', 'connections_critical_ratio=2']);
  assert.equal(warning.code, 1, warning.stderr);
  assert.equal(JSON.parse(warning.stdout).status, 'warning');
  // …and with the critical level at 0 it is critical.
  const critical = await plugway(['postgres', pgUrl, '--category', 'connections', '--window', '200ms', '--json', '--set', 'connections_warning_ratio=0', '--set', 'connections_critical_ratio=0']);
  assert.equal(critical.code, 2, critical.stderr);
  const c = JSON.parse(critical.stdout);
  assert.equal(c.status, 'critical');
  assert.equal(c.findings[0].code, 'PG_CONNECTIONS_HIGH');
});

test('mysql: a readable report grouped by category, without colour when not a terminal', async (t) => {
  const skip = await serviceSkip('mariadb');
  if (skip) return t.skip(skip);
  const run = await plugway(['mysql', '127.0.0.1:3306', '--window', '300ms']);
  assert.ok(run.code !== null && run.code <= 2, run.stderr);
  assert.match(run.stdout, /^mysql-diagnostics · root@127\.0\.0\.1:3306/);
  assert.match(run.stdout, /status: (HEALTHY|WARNING|CRITICAL)/);
  assert.match(run.stdout, /▸ replication\n {2}INFO {5}MYSQL_NOT_A_REPLICA/);
  assert.match(run.stdout, /▸ metrics/);
  assert.doesNotMatch(run.stdout, /\x1b\[/);
  const colored = await plugway(['mysql', '127.0.0.1:3306', '--window', '100ms', '--category', 'replication'], { FORCE_COLOR: '1' });
  assert.match(colored.stdout, /\x1b\[36mINFO/);
  const noColor = await plugway(['mysql', '127.0.0.1:3306', '--window', '100ms', '--category', 'replication'], { FORCE_COLOR: '1', NO_COLOR: '1' });
  assert.doesNotMatch(noColor.stdout, /\x1b\[/);
});

test('redis localhost:6379 (host:port, no scheme) works as the README shows', async (t) => {
  const skip = await serviceSkip('redis');
  if (skip) return t.skip(skip);
  if (!existsSync(`${root}plugins/redis-diagnostics/plugin.yaml`)) return t.skip('plugins/redis-diagnostics is not there yet');
  const run = await plugway(['redis', 'localhost:6379', '--window', '500ms', '--json']);
  assert.ok(run.code !== null && run.code <= 2, `exit ${run.code}: ${run.stderr}`);
  assertResult(JSON.parse(run.stdout), 'redis-diagnostics');
});

test('an unreachable target exits 3 for every system, with a JSON error under --json', async (t) => {
  const port = await freePort(); // nothing listens there
  for (const system of ['mysql', 'postgres', 'redis', 'kafka', 'rabbitmq']) {
    if (!existsSync(`${root}plugins/${system}-diagnostics/plugin.yaml`)) {
      t.diagnostic(`${system}-diagnostics is not there yet: skipped`);
      continue;
    }
    const run = await plugway([system, `127.0.0.1:${port}`, '--json', '--window', '100ms', '--timeout', '2s']);
    assert.equal(run.code, 3, `${system}: exit ${run.code}\n${run.stdout}\n${run.stderr}`);
    const body = JSON.parse(run.stdout);
    assert.equal(body.plugin_id, `${system}-diagnostics`);
    assert.equal(body.status, 'unknown');
    assert.equal(body.error.stage, 'connect', JSON.stringify(body));
    assert.match(run.stderr, /could not connect/);
  }
});

test('usage errors exit 64, not a status code', async () => {
  const unknown = await plugway(['oracle', 'localhost:1521']);
  assert.equal(unknown.code, 64);
  assert.match(unknown.stderr, /unknown system "oracle"; expected one of redis, mysql, postgres, kafka/);
  const badWindow = await plugway(['postgres', pgUrl, '--window', 'soon']);
  assert.equal(badWindow.code, 64);
  assert.match(badWindow.stderr, /not a duration/);
  const missing = await plugway(['postgres']);
  assert.equal(missing.code, 64);
  // Each of these is refused before any connection is tried (port 1 would exit 3 otherwise).
  const badTimeout = await plugway(['redis', '127.0.0.1:1', '--timeout', 'soon']);
  assert.equal(badTimeout.code, 64, badTimeout.stderr);
  assert.match(badTimeout.stderr, /--timeout soon: "soon" is not a duration/);
  const unknownKey = await plugway(['redis', '127.0.0.1:1', '--set', 'bogus=1']);
  assert.equal(unknownKey.code, 64, unknownKey.stderr);
  assert.match(unknownKey.stderr, /config\.bogus is not a known setting/);
  const wrongType = await plugway(['kafka', '127.0.0.1:1', '--set', 'samples=many']);
  assert.equal(wrongType.code, 64, wrongType.stderr);
  assert.match(wrongType.stderr, /config\.samples must be integer/);
  const badWindow2 = await plugway(['redis', '127.0.0.1:1', '--set', 'window=soon']);
  assert.equal(badWindow2.code, 64, badWindow2.stderr);
  const noEquals = await plugway(['redis', '127.0.0.1:1', '--set', 'samples']);
  assert.equal(noEquals.code, 64, noEquals.stderr);
});

test("without --window the plugin's own window applies (redis 2 s), and --set window=… is honoured", async (t) => {
  const skip = await serviceSkip('redis');
  if (skip) return t.skip(skip);
  const byDefault = await plugway(['redis', '127.0.0.1:6379', '--json']);
  assert.ok(byDefault.code !== null && byDefault.code <= 2, byDefault.stderr);
  const d = JSON.parse(byDefault.stdout).duration_ms as number;
  assert.ok(d >= 2000 && d < 4500, `redis's default window is 2 s (not the CLI's old 5 s): took ${d} ms`);
  const set = await plugway(['redis', '127.0.0.1:6379', '--json', '--set', 'window=300ms']);
  assert.ok(set.code !== null && set.code <= 2, set.stderr);
  const s = JSON.parse(set.stdout).duration_ms as number;
  assert.ok(s >= 300 && s < 1800, `--set window=300ms: took ${s} ms`);
  const flag = await plugway(['redis', '127.0.0.1:6379', '--json', '--set', 'window=10s', '--window', '200ms']);
  const f = JSON.parse(flag.stdout).duration_ms as number;
  assert.ok(f >= 200 && f < 1800, `--window wins over --set window: took ${f} ms`);
});

// Prints, at exit, how many of Fastify's files the CommonJS loader holds (ESM imports of CommonJS
// packages go through it too).
const countFastify =
  'data:text/javascript,import{createRequire}from"node:module";const r=createRequire(process.cwd()+"/");' +
  'process.on("exit",()=>process.stderr.write(`\\nfastify-files=${Object.keys(r.cache).filter((k)=>k.includes("/node_modules/fastify/")).length}\\n`))';

function fastifyFiles(run: Run): number {
  const m = /fastify-files=(\d+)/.exec(run.stderr);
  assert.ok(m, `no count in stderr: ${run.stderr}`);
  return Number(m[1]);
}

test('plugway diagnose registers only its own command: the gateway (Fastify) is not loaded', async () => {
  const port = await freePort(); // nothing listens there: exit 3 quickly
  const diagnose = await node(['--import', countFastify, 'bin/plugway.js', 'diagnose', 'redis', `127.0.0.1:${port}`, '--timeout', '1s', '--window', '0s']);
  assert.equal(diagnose.code, 3, diagnose.stderr);
  assert.equal(fastifyFiles(diagnose), 0);
  const help = await node(['--import', countFastify, 'bin/plugway.js', 'diagnose', '--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Exit codes: 0 healthy/);
  assert.equal(fastifyFiles(help), 0);
  // The probe sees Fastify when the gateway is loaded: `plugway serve --help` registers serve.
  const serve = await node(['--import', countFastify, 'bin/plugway.js', 'serve', '--help']);
  assert.equal(serve.code, 0, serve.stderr);
  assert.ok(fastifyFiles(serve) > 0, 'serve loads the gateway');
  // The top-level help still lists every command.
  const top = await node(['bin/plugway.js', '--help']);
  for (const name of ['plugin', 'serve', 'diagnose']) assert.match(top.stdout, new RegExp(`^  ${name}\\b`, 'm'));
});
