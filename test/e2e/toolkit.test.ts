// The plugin author's path end to end, through the real CLI and a real `plugway serve` process:
// create → test → pack → sign → install (--url) into the folder the running gateway serves → the
// gateway serves it → plugin list shows it running → tampered, unsigned and foreign-signed packages
// are refused. Prints the time from create to the first served request per runtime, with the targets.
import { runCli, type CliRun } from '../helpers/cli.js';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import * as tar from 'tar';
import { request } from 'undici';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'plugway.js');
const work = mkdtempSync(join(tmpdir(), 'plugway-e2e-toolkit-'));
const TOKEN = 'e2e-admin-token';
const admin = { PLUGWAY_ADMIN_TOKEN: TOKEN };

type Run = CliRun;

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runCli(args, { cwd: work, env });
}

async function ok(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await cli(args, env);
  assert.equal(r.code, 0, `plugway ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function refused(args: string[], code: string): Promise<void> {
  const r = await cli(args);
  assert.notEqual(r.code, 0, `plugway ${args.join(' ')} should fail`);
  assert.match(r.stderr, new RegExp(code), r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one-line error, got:\n${r.stderr}`);
}

/** `plugway serve --port 0` as a child process; resolves with the URL it prints once it is listening. */
async function startServe(args: string[]): Promise<{ child: ChildProcess; url: string; out: () => string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PLUGWAY_URL: '', ...admin } });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      // the start-up report is one write; the dashboard line is its last line
      if (m && /dashboard: /.test(out)) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`plugway serve exited ${code}:\n${err}\n${out}`)));
  });
  const stop = () =>
    new Promise<void>((r) => {
      if (child.exitCode !== null || child.signalCode !== null) return r();
      child.once('exit', () => r());
      child.kill('SIGTERM');
    });
  return { child, url, out: () => out, stop };
}

const timings: Record<string, number> = {};
/** Targets from issue 7 for create → first served request (worker has none). */
const TARGET_MS: Record<string, number | undefined> = { inprocess: 15_000, wasm: 60_000 };
let serveStartMs = 0;
let pubKey: string;
let privKey: string;
let foreignKey: string;
const served = join(work, 'plugins');
let gateway: Awaited<ReturnType<typeof startServe>> | undefined;

before(async () => {
  await ok(['plugin', 'keygen', '--out', join(work, 'keys')]);
  await ok(['plugin', 'keygen', '--out', join(work, 'foreign-keys')]);
  pubKey = join(work, 'keys', 'plugway-signing.pub');
  privKey = join(work, 'keys', 'plugway-signing.key');
  foreignKey = join(work, 'foreign-keys', 'plugway-signing.key');
  mkdirSync(served);
  const t0 = performance.now();
  gateway = await startServe(['--plugins', served, '--state-dir', join(work, 'state')]);
  serveStartMs = performance.now() - t0;
});

after(async () => {
  await gateway?.stop();
  const rows = Object.entries(timings).map(([rt, ms]) => {
    const target = TARGET_MS[rt];
    const verdict = target === undefined ? '(no target)' : ms <= target ? `(target < ${target / 1000} s: ok)` : `(target < ${target / 1000} s)`;
    return `  ${rt.padEnd(10)} ${(ms / 1000).toFixed(1).padStart(5)} s  ${verdict}`;
  });
  if (rows.length) {
    process.stdout.write(`\ntime from plugin create to the first served request (plugway serve already running; it started in ${(serveStartMs / 1000).toFixed(1)} s):\n${rows.join('\n')}\n`);
  }
  // Not asserted: on a shared, loaded 2-CPU machine these times vary by several times. Said loudly instead.
  for (const [rt, ms] of Object.entries(timings)) {
    const target = TARGET_MS[rt];
    if (target !== undefined && ms > target) process.stdout.write(`WARN: ${rt} took ${(ms / 1000).toFixed(1)} s from create to the first served request, over its ${target / 1000} s target\n`);
  }
  rmSync(work, { recursive: true, force: true });
});

for (const runtime of ['inprocess', 'worker', 'wasm'] as const) {
  describe(`${runtime} plugin: create → installed into the served folder → served → listed`, () => {
    const id = `hello-${runtime}`;
    const dir = join(work, id);
    let tgz: string;

    test('create, test, pack, sign, verify, install --url into the folder plugway serve serves; it answers', async () => {
      assert.ok(gateway, 'plugway serve started');
      const t0 = performance.now();
      await ok(['plugin', 'create', id, '--runtime', runtime, '--dir', work]);
      const report = JSON.parse(await ok(['plugin', 'test', dir, '--json', '--rounds', '5'])) as { ok: boolean; fixtures: unknown[]; plugin: { runtime: string } };
      assert.equal(report.ok, true);
      assert.equal(report.plugin.runtime, runtime);
      assert.ok(report.fixtures.length > 0);
      const packed = JSON.parse(await ok(['plugin', 'pack', dir, '--json'])) as { file: string };
      tgz = packed.file;
      await ok(['plugin', 'sign', tgz, '--key', privKey]);
      await ok(['plugin', 'verify', tgz, '--key', pubKey]);
      // not served before: the gateway learns of it from install --url
      assert.equal((await request(`${gateway.url}/${id}/hello/Ada`)).statusCode, 404);
      const installed = await ok(['plugin', 'install', tgz, '--plugins', served, '--trusted-key', pubKey, '--url', gateway.url], admin);
      assert.match(installed, new RegExp(`^Installed ${id}@0\\.1\\.0 → .*; the gateway at ${gateway.url} started it\\n$`));
      const res = await request(`${gateway.url}/${id}/hello/Ada`);
      const body = (await res.body.json()) as { message: string };
      timings[runtime] = performance.now() - t0;
      assert.equal(res.statusCode, 200);
      assert.equal(body.message, 'Hello, Ada!');
    });

    test('plugin list and info show it running; disable and enable steer it', async () => {
      assert.ok(gateway, 'plugway serve started');
      const url = gateway.url;
      const listed = JSON.parse(await ok(['plugin', 'list', '--url', url, '--json'], admin)) as { plugins: Array<{ id: string; state: string; runtime: string }>; count: number };
      const me = listed.plugins.find((p) => p.id === id);
      assert.equal(me?.state, 'running');
      assert.equal(me?.runtime, runtime);
      const table = await ok(['plugin', 'list', '--url', url], admin);
      assert.match(table, new RegExp(`^${id}\\s+0\\.1\\.0\\s+handler\\s+${runtime}\\s+yes\\s+running`, 'm'));
      const info = JSON.parse(await ok(['plugin', 'info', id, '--url', url, '--json'], admin)) as { id: string };
      assert.equal(info.id, id);

      await ok(['plugin', 'disable', id, '--url', url], admin);
      assert.equal((await request(`${url}/${id}/hello/Ada`)).statusCode, 503);
      await ok(['plugin', 'enable', id, '--url', url], admin);
      assert.equal((await request(`${url}/${id}/hello/Ada`)).statusCode, 200);

      const wrong = await cli(['plugin', 'list', '--url', url, '--token', 'wrong']);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /^plugway: PLW_ERR_ADMIN_UNAUTHORIZED: .+\n$/);
    });

    test('tampered, unsigned and foreign-signed packages are refused; nothing is left behind', async () => {
      const before = readdirSync(served).sort();
      const evil = join(work, `${id}-evil.tgz`);
      const unpacked = mkdtempSync(join(work, 'evil-'));
      await tar.x({ file: tgz, cwd: unpacked });
      const entry = runtime === 'wasm' ? 'plugin.wasm' : join('dist', 'index.js');
      writeFileSync(join(unpacked, entry), Buffer.concat([readFileSync(join(unpacked, entry)), Buffer.from('\n')]));
      await tar.c({ gzip: true, file: evil, cwd: unpacked, portable: true }, readdirSync(unpacked));
      // the original signature beside the altered package
      writeFileSync(`${evil}.sig`, readFileSync(`${tgz}.sig`));
      const other = join(work, `plugins-other-${runtime}`);
      await refused(['plugin', 'install', evil, '--plugins', other, '--trusted-key', pubKey], 'PLW_ERR_SIGNATURE_INVALID');
      await refused(['plugin', 'install', evil, '--plugins', other], 'PLW_ERR_INTEGRITY_MISMATCH');
      rmSync(`${evil}.sig`);
      await refused(['plugin', 'install', evil, '--plugins', other, '--trusted-key', pubKey], 'PLW_ERR_SIGNATURE_MISSING');

      // the untouched package, validly signed, but by a key the host does not trust
      const foreign = join(work, `${id}-foreign.tgz`);
      copyFileSync(tgz, foreign);
      await ok(['plugin', 'sign', foreign, '--key', foreignKey]);
      await ok(['plugin', 'verify', foreign, '--key', join(work, 'foreign-keys', 'plugway-signing.pub')]);
      await refused(['plugin', 'install', foreign, '--plugins', other, '--trusted-key', pubKey], 'PLW_ERR_SIGNATURE_INVALID');
      await refused(['plugin', 'install', foreign, '--plugins', served, '--trusted-key', pubKey, '--force', '--url', gateway!.url], 'PLW_ERR_SIGNATURE_INVALID');

      assert.deepEqual(existsSync(other) ? readdirSync(other) : [], []);
      assert.deepEqual(readdirSync(served).sort(), before);
      assert.equal((await request(`${gateway!.url}/${id}/hello/Ada`)).statusCode, 200, 'the installed one still serves');
    });
  });
}

test('an unreachable gateway, or a server that is not one, is a one-line error', async () => {
  await refused(['plugin', 'list', '--url', 'http://127.0.0.1:9'], 'PLW_ERR_GATEWAY_UNREACHABLE');
  // a plugway gateway's plugin routes under another prefix: something answers, but no admin API
  const r = await cli(['plugin', 'list', '--url', `${gateway!.url}/not-admin`], admin);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^plugway: PLW_ERR_GATEWAY_UNREACHABLE: no plugway admin API at ${gateway!.url}/not-admin .*\\n$`));
});
