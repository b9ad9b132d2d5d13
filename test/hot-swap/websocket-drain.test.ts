// Hot swap with open WebSockets: the new version takes new connections, an open one stays on the
// old version until the drain timeout closes it with 1012 (service restart).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nextEvent, startStack, swapConfig, tmp } from './helpers.js';
import { open } from '../gateway/websocket-client.js';

async function writeWsVersion(root: string, version: string, runtime = 'inprocess'): Promise<void> {
  const dir = join(root, 'live');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'index.mjs'), `export default {\n  onMessage(conn, data) { return { version: '${version}', conn_version: conn.version, got: data }; },\n};\n`);
  await writeFile(
    join(dir, 'plugin.yaml'),
    `id: live\nname: live\nversion: ${version}\nkind: handler\nruntime:\n  type: ${runtime}\n  entry: index.mjs\nendpoints:\n  - path: /live\n    protocol: websocket\n`,
  );
}

test('a swapped version takes new connections; open ones stay on the old one, then close with 1012 at the drain timeout', async (t) => {
  const root = await tmp('ws-swap');
  await writeWsVersion(root, '1.0.0');
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.drainTimeoutMs = 1500)) });
  t.after(() => s.close());

  const old = await open(`${s.url}/live`);
  old.send('a');
  assert.deepEqual(await old.next(), { version: '1.0.0', conn_version: '1.0.0', got: 'a' });

  await writeWsVersion(root, '2.0.0');
  const activated = nextEvent(s.host, 'plugin.activated', (d: { version: string }) => d.version === '2.0.0');
  const reload = s.admin('POST', '/plugins/live/reload');
  await activated;

  const fresh = await open(`${s.url}/live`);
  fresh.send('b');
  assert.deepEqual(await fresh.next(), { version: '2.0.0', conn_version: '2.0.0', got: 'b' });
  old.send('c'); // still the old version while it drains
  assert.deepEqual(await old.next(), { version: '1.0.0', conn_version: '1.0.0', got: 'c' });

  const t0 = Date.now();
  const closed = await old.closed;
  assert.equal(closed.code, 1012);
  assert.ok(Date.now() - t0 < 5000, 'closed at the drain timeout');
  assert.equal((await reload).status, 200);
  fresh.send('d');
  assert.deepEqual(await fresh.next(), { version: '2.0.0', conn_version: '2.0.0', got: 'd' });
  fresh.ws.close();
  await fresh.closed;
});

test('a swap with no open connections on the old version does not wait for the drain timeout', async (t) => {
  const root = await tmp('ws-swap2');
  await writeWsVersion(root, '1.0.0');
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.drainTimeoutMs = 20_000)) });
  t.after(() => s.close());
  const c = await open(`${s.url}/live`);
  c.ws.close();
  await c.closed;
  await writeWsVersion(root, '2.0.0');
  const t0 = Date.now();
  assert.equal((await s.admin('POST', '/plugins/live/reload')).status, 200);
  assert.ok(Date.now() - t0 < 10_000, `reload took ${Date.now() - t0} ms`);
});

test('a worker plugin gets messages as calls: conn as data, the returned value sent back', async (t) => {
  const root = await tmp('ws-worker');
  await writeWsVersion(root, '1.0.0', 'worker');
  const s = await startStack(root);
  t.after(() => s.close());
  const c = await open(`${s.url}/live`);
  c.send('w');
  assert.deepEqual(await c.next(), { version: '1.0.0', conn_version: '1.0.0', got: 'w' });
  c.ws.close();
  await c.closed;
});
