// The same attacks through HTTP: `plugway serve` with a hostile worker plugin and a looping wasm
// plugin next to the examples; requests to the examples never fail while the attacks run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWasm } from './wasm-fixtures.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function serve(pluginDirs: string[]) {
  const cwd = await mkdtemp(join(tmpdir(), 'plugway-hostile-'));
  const args = [join(ROOT, 'bin/plugway.js'), 'serve', '--port', '0', '--state-dir', join(cwd, 'state'), ...pluginDirs.flatMap((d) => ['--plugins', d])];
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PLUGWAY_ADMIN_TOKEN: 'x' } });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}\n${out}`)));
  });
  const stop = () =>
    new Promise<void>((r) => {
      if (child.exitCode !== null || child.signalCode !== null) return r();
      child.once('exit', () => r());
      child.kill('SIGTERM');
    });
  return { url, stop, alive: () => child.exitCode === null, output: () => out + err };
}

test('through the gateway: hostile worker and wasm plugins fail alone, the others keep serving', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-hostile-plugins-'));
  await mkdir(join(dir, 'spin-wasm'));
  await copyFile(await buildWasm('spin'), join(dir, 'spin-wasm', 'plugin.wasm'));
  await writeFile(
    join(dir, 'spin-wasm', 'plugin.yaml'),
    'id: spin-wasm\nversion: 1.0.0\nkind: handler\nruntime:\n  type: wasm\nresources:\n  timeout: 1s\nendpoints:\n  - path: /spin-wasm\n    method: GET\n',
  );
  const s = await serve([dir, join(ROOT, 'test/security/fixtures'), join(ROOT, 'examples')]);
  t.after(() => s.stop());

  const ok = await fetch(`${s.url}/hostile/ok`);
  assert.equal(ok.status, 200, await ok.text());
  let good = 0;
  const failures: string[] = [];
  let stop = false;
  const neighbours = (async () => {
    while (!stop) {
      const [a, b] = await Promise.all([fetch(`${s.url}/versions/check?version=1.4.2&range=%5E1.0.0`), fetch(`${s.url}/hello`)]);
      if (a.status !== 200) failures.push(`version-policy ${a.status} ${await a.text()}`);
      else assert.equal(((await a.json()) as { satisfies: boolean }).satisfies, true);
      if (b.status !== 200) failures.push(`hello ${b.status}`);
      else await b.arrayBuffer();
      good++;
    }
  })();

  const spin = await fetch(`${s.url}/hostile/spin`);
  assert.equal(spin.status, 504);
  assert.equal(((await spin.json()) as { code?: string; error?: { code?: string } }).error?.code ?? '', 'PLW_ERR_PLUGIN_TIMEOUT');
  // Each attack ends the worker; it is back after its backoff (calls meanwhile wait until their deadline).
  const recovered = () => waitFor(async () => (await fetch(`${s.url}/hostile/ok`)).status === 200, { everyMs: 50, what: 'the hostile plugin to come back' });
  await recovered();
  const exit = await fetch(`${s.url}/hostile/exit`);
  assert.equal(exit.status, 502);
  assert.match(await exit.text(), /PLW_ERR_WORKER_EXITED/);
  await recovered();
  const heap = await fetch(`${s.url}/hostile/heap`);
  assert.ok([502, 504].includes(heap.status), `heap bomb: ${heap.status}`);
  const wasm = await fetch(`${s.url}/spin-wasm`);
  assert.equal(wasm.status, 504);

  const target = good + 10;
  await waitFor(() => good >= target, { timeoutMs: 30_000, what: 'ten more answers to the neighbours' });
  stop = true;
  await neighbours;
  if (failures.length) await writeFile(join(tmpdir(), 'plugway-gateway-hostile.log'), s.output());
  assert.deepEqual(failures, []);
  assert.ok(s.alive(), 'the gateway process is still up');
});
