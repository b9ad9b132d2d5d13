// ctx.storage shared across nodes through the built-in redis-storage plugin: a value a plugin
// writes on one `plugway serve` node is read on another; TTLs hold; plugins cannot read each
// other's keys; with Redis gone, storage calls fail with a code and the gateway keeps serving.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { serviceSkip } from '../helpers/services.js';
import { http, tmpDir } from '../gateway/helpers.js';
import { startServeNode, type ServeNode } from './serve-node.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const skip = await serviceSkip('redis');
const TOKEN = 'cluster-storage-token-0123456789abcdef';
const PREFIX = `plugway-test:${process.pid}:${Date.now()}:`;
const nodes: ServeNode[] = [];

after(async () => {
  for (const n of nodes) await n.stop('SIGKILL');
  if (skip) return;
  const r = new Redis();
  const keys = await r.keys(`${PREFIX}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
});

const NOTES = `export default {
  async handleRequest(req, ctx) {
    try { return await this.serve(req, ctx); } catch (e) { return { statusCode: 503, body: { code: e.code, message: e.message } }; }
  },
  async serve(req, ctx) {
    const key = req.params.key;
    if (req.method === 'PUT') {
      await ctx.storage.set(key, req.body, req.query.ttl ? Number(req.query.ttl) : undefined);
      return { statusCode: 204 };
    }
    if (req.method === 'DELETE') return { statusCode: 200, body: { deleted: await ctx.storage.delete(key) } };
    if (!(await ctx.storage.exists(key))) return { statusCode: 404, body: { key } };
    return { statusCode: 200, body: { key, value: await ctx.storage.get(key) } };
  },
};
`;

async function pluginsDir(): Promise<string> {
  const dir = await tmpDir('storage-plugins');
  for (const id of ['notes', 'other']) {
    await mkdir(join(dir, id));
    await writeFile(
      join(dir, id, 'plugin.yaml'),
      `id: ${id}\nversion: 1.0.0\nkind: handler\nruntime: { type: ${id === 'notes' ? 'inprocess' : 'worker'}, entry: index.mjs }\nendpoints:\n  - { path: "/${id}/{key}", method: GET }\n  - { path: "/${id}/{key}", method: PUT }\n  - { path: "/${id}/{key}", method: DELETE }\n`,
    );
    await writeFile(join(dir, id, 'index.mjs'), NOTES);
  }
  await symlink(join(ROOT, 'plugins', 'redis-storage'), join(dir, 'redis-storage'));
  return dir;
}

test('a value written through ctx.storage on node A is read on node B (redis-storage)', { skip }, async () => {
  const dir = await pluginsDir();
  const cfgDir = await tmpDir('storage-cfg');
  const cfg = join(cfgDir, 'plugway.yaml');
  await writeFile(
    cfg,
    `storage: { plugin: redis-storage }\nplugins:\n  directories: [${JSON.stringify(dir)}]\n  configs:\n    redis-storage:\n      config: { url: "redis://127.0.0.1:6379", key_prefix: ${JSON.stringify(PREFIX)} }\n`,
  );
  for (let i = 0; i < 2; i++) nodes.push(await startServeNode({ token: TOKEN, args: ['--config', cfg] }));
  const [a, b] = nodes as [ServeNode, ServeNode];

  assert.equal((await http(`${a.url}/notes/greeting`, { method: 'PUT', json: { text: 'written on A' } })).status, 204);
  const read = await http(`${b.url}/notes/greeting`);
  assert.equal(read.status, 200, read.text);
  assert.deepEqual(read.json.value, { text: 'written on A' });

  // Namespaced per plugin: a worker plugin on B writing the same key does not touch notes' value.
  assert.equal((await http(`${b.url}/other/greeting`)).status, 404);
  assert.equal((await http(`${b.url}/other/greeting`, { method: 'PUT', json: 'other value' })).status, 204);
  assert.deepEqual((await http(`${a.url}/notes/greeting`)).json.value, { text: 'written on A' });
  assert.equal((await http(`${a.url}/other/greeting`)).json.value, 'other value', 'a worker plugin shares through Redis too');

  // TTL in ms holds in Redis.
  const r = new Redis();
  try {
    assert.equal((await http(`${a.url}/notes/short?ttl=60000`, { method: 'PUT', json: 1 })).status, 204);
    const pttl = await r.pttl(`${PREFIX}notes/short`);
    assert.ok(pttl > 50_000 && pttl <= 60_000, `pttl ${pttl}`);
  } finally {
    r.disconnect();
  }
  assert.equal((await http(`${b.url}/notes/greeting`, { method: 'DELETE' })).json.deleted, true);
  assert.equal((await http(`${a.url}/notes/greeting`)).status, 404);
});

test('with its Redis unreachable, storage calls fail with PLW_ERR_STORAGE_UNAVAILABLE and the gateway keeps serving', { skip }, async () => {
  const dir = await pluginsDir();
  const cfgDir = await tmpDir('storage-cfg2');
  const cfg = join(cfgDir, 'plugway.yaml');
  // A port nothing listens on.
  await writeFile(
    cfg,
    `storage: { plugin: redis-storage }\nplugins:\n  directories: [${JSON.stringify(dir)}]\n  configs:\n    redis-storage:\n      config: { url: "redis://127.0.0.1:1", timeout: 300 }\n`,
  );
  const n = await startServeNode({ token: TOKEN, args: ['--config', cfg] });
  nodes.push(n);
  const res = await http(`${n.url}/notes/x`, { method: 'PUT', json: 1 });
  assert.equal(res.status, 503, res.text);
  assert.equal(res.json.code, 'PLW_ERR_STORAGE_UNAVAILABLE');
  assert.match(res.json.message, /redis-storage/);
  const health = await http(`${n.url}/health`);
  assert.equal(health.status, 200, 'the gateway still answers');
  const other = await http(`${n.url}/other/x`);
  assert.equal(other.json.code, 'PLW_ERR_STORAGE_UNAVAILABLE', 'a worker plugin gets the same coded error');
});
