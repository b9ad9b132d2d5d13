// Item 11 of issue 23, the smaller holes: honest timeout and memory messages from the worker
// runtime, temp files a kill -9 left are removed at start, unknown /admin/* paths answer 401 before
// 404, /metrics behind a token or on a listener of its own, and a version number reused for
// different content is marked in /versions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { request } from 'undici';
import { gatewayOf } from '../../src/gateway/index.js';
import { memoryLimitMb } from '../../src/runtimes/worker/instance.js';
import { describeError } from '../../src/errors.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { http, tmpDir } from '../gateway/helpers.js';
import { startStack, swapConfig, tmp, writeVersion } from '../hot-swap/helpers.js';
import { gatewayWith } from './helpers.js';
import { createWorkerRuntime } from '../../src/runtimes/worker/index.js';
import { harness, manifest } from '../runtimes/helpers.js';
import { request as pluginRequest } from './neighbour.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('a call queued while the worker restarts names the deadline it had, not 0 ms', async (t) => {
  // The hostile fixture's /exit ends the thread; a long backoff keeps the instance down while the next call waits.
  const h = harness(manifest({ id: 'crashy' }), new URL('./fixtures/hostile.ts', import.meta.url).pathname);
  const rt = createWorkerRuntime(h.init, { backoffBaseMs: 3000, backoffMaxMs: 3000, giveBackGraceMs: 100 });
  await rt.load();
  t.after(() => rt.dispose());
  await assert.rejects(rt.call('handleRequest', [pluginRequest('/exit')], { deadline: Date.now() + 5000 }), { code: 'PLW_ERR_WORKER_EXITED' });
  await assert.rejects(rt.call('handleRequest', [pluginRequest('/ok')], { deadline: Date.now() + 400 }), (e: Error & { code: string }) => {
    // Either it says the instance is restarting, or it names the deadline the call had; never "0 ms".
    assert.ok(['PLW_ERR_PLUGIN_TIMEOUT', 'PLW_ERR_WORKER_RESTARTING'].includes(e.code), `${e.code}: ${e.message}`);
    assert.doesNotMatch(e.message, /deadline of 0 ms/);
    if (e.code === 'PLW_ERR_PLUGIN_TIMEOUT') {
      const ms = Number(/deadline of (\d+) ms/.exec(e.message)?.[1]);
      assert.ok(ms >= 350 && ms <= 400, e.message);
    }
    return true;
  });
});

test('an out-of-memory message without resources.memory names the heap limit in MB', () => {
  const mb = memoryLimitMb(undefined);
  assert.equal(mb, Math.round(getHeapStatistics().heap_size_limit / 1048576));
  const { message } = describeError('PLW_ERR_WORKER_OUT_OF_MEMORY', { id: 'p', instance: 0, memoryMb: mb });
  assert.match(message, /memory limit of \d+ MB/);
  assert.equal(memoryLimitMb(64), 64);
});

test('temp files a kill -9 left next to the desired state are removed at start', async () => {
  const dir = await tmpDir('tmpfiles');
  const store = new FileStateStore(dir);
  await store.load();
  await store.update('x', { enabled: false });
  // What a writer killed between open and rename leaves: .desired-state.json.<pid>.<hex>.tmp
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => dead.once('exit', r));
  await writeFile(join(dir, `.desired-state.json.${dead.pid}.deadbeef.tmp`), '{"torn');
  await writeFile(join(dir, `.desired-state.json.${process.pid}.cafe0001.tmp`), '{"torn');
  await new FileStateStore(dir).load();
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.endsWith('.tmp')),
    [],
  );
  assert.ok(existsSync(join(dir, 'desired-state.json')));
});

test('unknown /admin/* paths answer 401 without a token, 404 with one', async (t) => {
  const gw = await gatewayWith([]);
  t.after(() => gw.close());
  const token = gatewayOf(gw.app).adminToken.token;
  for (const path of ['/admin/secret-route', '/admin/plugins/x/nope', '/admin/']) {
    const anon = await http(`${gw.url}${path}`);
    assert.equal(anon.status, 401, `${path}: ${anon.status}`);
    assert.equal(anon.json.error.code, 'PLW_ERR_ADMIN_UNAUTHORIZED');
  }
  const known = await http(`${gw.url}/admin/secret-route`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(known.status, 404);
  assert.equal(known.json.error.code, 'PLW_ERR_ROUTE_NOT_FOUND');
});

test('/metrics behind gateway.metrics.token, or on a listener of its own', async (t) => {
  const gw = await gatewayWith([], (c) => (c.gateway.metrics = { token: 'scrape-me' }));
  t.after(() => gw.close());
  const anon = await http(`${gw.url}/metrics`);
  assert.equal(anon.status, 401);
  assert.equal(anon.json.error.code, 'PLW_ERR_METRICS_UNAUTHORIZED');
  assert.equal((await http(`${gw.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const ok = await http(`${gw.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } });
  assert.equal(ok.status, 200);
  assert.match(ok.text, /plugway_http_requests_total|process_cpu/);

  const split = await gatewayWith([], (c) => (c.gateway.metrics = { port: 0, host: '127.0.0.1' }));
  t.after(() => split.close());
  assert.equal((await http(`${split.url}/metrics`)).status, 404, 'not on the main listener');
  const own = gatewayOf(split.app).metricsUrl;
  assert.ok(own, 'a metrics URL once listening');
  const r = await http(own!);
  assert.equal(r.status, 200);
  assert.match(r.text, /process_cpu/);
});

test('a version number reused for different content is marked in /versions', async (t) => {
  const root = await tmp('plugins');
  await writeVersion(root, 'dup', { version: '1.0.0' });
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.watchWindowMs = 0)) });
  t.after(() => s.close());
  await writeVersion(root, 'dup', { version: '1.0.0', status: 201 });
  const r = await s.admin('POST', '/plugins/dup/reload');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const v = (await s.admin('GET', '/plugins/dup/versions')).json;
  // The host names the second content 1.0.0+<hash8> while both run; after a restart both read 1.0.0.
  const ones = v.versions.filter((x: any) => x.version.replace(/\+[0-9a-f]{8}$/, '') === '1.0.0');
  assert.equal(ones.length, 2, JSON.stringify(v.versions));
  assert.notEqual(ones[0].hash, ones[1].hash);
  assert.ok(
    ones.every((x: any) => x.version_reused === true),
    JSON.stringify(ones),
  );
  assert.ok(typeof v.active.hash === 'string' && v.active.hash.length >= 7);
  void ROOT;
  void request;
});
