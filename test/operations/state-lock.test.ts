// One gateway per state dir: a second `plugway serve` (another process) on the same dir fails with
// PLW_ERR_STATE_DIR_LOCKED before starting plugins; once the first is gone its lock is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLUGWAY_BIN, runCli } from '../helpers/cli.js';
import { lockStateDir } from '../../src/state/state-lock.js';

/** A plugins folder with one tiny plugin, so serve starts fast. */
async function pluginsDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'plugway-lock-plugins-'));
  await mkdir(join(root, 'tiny'));
  await writeFile(join(root, 'tiny', 'plugin.yaml'), 'id: tiny\nversion: 1.0.0\nkind: handler\nruntime:\n  type: inprocess\n  entry: index.mjs\nendpoints:\n  - path: /tiny\n    method: GET\n');
  await writeFile(join(root, 'tiny', 'index.mjs'), 'export default { handleRequest: () => ({ statusCode: 200, body: { ok: true } }) };\n');
  return root;
}

function startServe(args: string[]) {
  const child = spawn(process.execPath, [PLUGWAY_BIN, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PLUGWAY_ADMIN_TOKEN: '' } }); // no token in the env: serve runs in this process (no re-exec), so its pid is the lock's
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m && out.includes('plugins (')) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}\n${out}`)));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, url, exited, stop: () => (child.exitCode === null && child.signalCode === null ? (child.kill('SIGTERM'), exited) : exited) };
}

test('a second gateway on the same state dir fails with a clear code; the first keeps serving; a dead holder is taken over', { timeout: 90_000 }, async () => {
  const plugins = await pluginsDir();
  const stateDir = await mkdtemp(join(tmpdir(), 'plugway-lock-state-'));
  const first = startServe(['--plugins', plugins, '--state-dir', stateDir]);
  try {
    const url = await first.url;
    const lock = JSON.parse(await readFile(join(stateDir, 'gateway.lock'), 'utf8'));
    assert.equal(lock.pid, first.child.pid);

    const second = await runCli(['serve', '--port', '0', '--plugins', plugins, '--state-dir', stateDir]);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr + second.stdout, /PLW_ERR_STATE_DIR_LOCKED/);
    assert.match(second.stderr + second.stdout, new RegExp(`pid ${first.child.pid}`));
    assert.doesNotMatch(second.stdout, /listening on/);
    assert.equal((await fetch(`${url}/tiny`)).status, 200, 'the first gateway is untouched');

    // In this process too (createGateway and serve share the same lock).
    await assert.rejects(lockStateDir(stateDir), { code: 'PLW_ERR_STATE_DIR_LOCKED' });
  } finally {
    await first.stop();
  }
  // SIGTERM lets serve remove its lock; a SIGKILLed holder leaves one behind, which the next start takes over.
  const killed = startServe(['--plugins', plugins, '--state-dir', stateDir]);
  await killed.url;
  killed.child.kill('SIGKILL');
  await killed.exited;
  const stale = JSON.parse(await readFile(join(stateDir, 'gateway.lock'), 'utf8'));
  assert.equal(stale.pid, killed.child.pid, 'a killed gateway leaves its lock');
  const next = startServe(['--plugins', plugins, '--state-dir', stateDir]);
  try {
    const url = await next.url;
    assert.equal((await fetch(`${url}/tiny`)).status, 200);
    assert.equal(JSON.parse(await readFile(join(stateDir, 'gateway.lock'), 'utf8')).pid, next.child.pid);
  } finally {
    await next.stop();
  }
});

test('a lock held on another host counts while its heartbeat is fresh, and is taken over once it is not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-lock-host-'));
  const file = join(dir, 'gateway.lock');
  await writeFile(file, JSON.stringify({ pid: 1, host: 'another-pod', started_at: 'then' }) + '\n');
  await assert.rejects(lockStateDir(dir), (e: Error & { code: string }) => e.code === 'PLW_ERR_STATE_DIR_LOCKED' && /pid 1 on another-pod/.test(e.message));
  const old = new Date(Date.now() - 60_000);
  await utimes(file, old, old);
  const lock = await lockStateDir(dir);
  assert.equal(lock.tookOver?.host, 'another-pod');
  await lock.release();
});

test('gateways of one process share a state dir; the lock goes with the last', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-lock-same-'));
  const a = await lockStateDir(dir);
  const b = await lockStateDir(dir);
  await a.release();
  assert.equal(JSON.parse(await readFile(join(dir, 'gateway.lock'), 'utf8')).pid, process.pid);
  await b.release();
  await assert.rejects(readFile(join(dir, 'gateway.lock'), 'utf8'), { code: 'ENOENT' });
});
