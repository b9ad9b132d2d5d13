// The Python examples of docs/process-abi.md, run as plugins in the process runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProcessRuntime } from '../../src/runtimes/process/index.js';
import type { PluginResponse } from '../../src/sdk/types.js';
import { binarySkip } from '../helpers/services.js';
import { harness, manifest } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const skip = binarySkip('bwrap', 'bubblewrap');
const req = (over: Record<string, unknown> = {}) => ({ id: 'r', method: 'GET', path: '/', params: {}, query: {}, headers: {}, context: {}, ...over });

async function pythonBlocks(): Promise<string[]> {
  const text = await readFile(join(ROOT, 'docs/process-abi.md'), 'utf8');
  return [...text.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

async function load(source: string, kind: 'handler' | 'auth', config: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-doc-py-'));
  await writeFile(join(dir, 'plugin.py'), source);
  const h = harness(manifest({ id: 'doc-example', kind, runtime: { type: 'process', instances: 1 } }), join(dir, 'plugin.py'), config, { pluginDir: dir });
  const rt = createProcessRuntime(h.init);
  await rt.load();
  return { h, rt };
}

test('docs/process-abi.md: its Python examples load and answer', { skip }, async () => {
  const [handler, auth, ws, ...rest] = await pythonBlocks();
  assert.ok(handler && auth && ws && rest.length === 0, 'three python blocks');
  const a = await load(handler, 'handler');
  try {
    const res = await a.rt.call<PluginResponse>('handleRequest', [req({ query: { name: 'Ada' } })]);
    assert.deepEqual(res, { statusCode: 200, body: { hello: 'Ada', count: 1 } });
    assert.deepEqual(await a.rt.call('healthCheck'), { status: 'healthy' });
    assert.ok(a.h.logs.some((l) => l.msg === 'counted' && l.count === 1));
  } finally {
    await a.rt.dispose();
  }
  const b = await load(auth, 'auth', { keys: { k1: 'ada' } });
  try {
    await b.rt.call('init');
    assert.deepEqual(await b.rt.call('authenticate', [req({ headers: { 'x-api-key': 'k1' } })]), { id: 'ada', roles: ['client'] });
    assert.equal(await b.rt.call('authenticate', [req()]), null);
    assert.equal(await b.rt.call('authorize', [{ id: 'ada' }, 'orders', 'read']), true);
    await assert.rejects(b.rt.call('authorize', [{ id: 'ada' }, 'orders', 'delete']), { code: 'PLW_ERR_FORBIDDEN' });
  } finally {
    await b.rt.dispose();
  }
  // The WebSocket example: its hooks answer with the actions its Connection queued.
  const c = await load(ws, 'handler');
  try {
    const conn = { id: 'c1', user: { id: 'ada' }, path: '/py/chat/lobby', params: { room: 'lobby' }, query: {}, version: '1.0.0', rooms: [] };
    assert.deepEqual(await c.rt.call('onOpen', [conn]), {
      actions: [
        { op: 'join', room: 'lobby' },
        { op: 'send', data: { joined: 'lobby' } },
      ],
    });
    const inRoom = { ...conn, rooms: ['lobby'] };
    assert.deepEqual(await c.rt.call('onMessage', [inRoom, '{"say":"hi"}']), { actions: [{ op: 'broadcast', room: 'lobby', data: { from: 'ada', say: 'hi' }, except_self: true }] });
    assert.deepEqual(await c.rt.call('onMessage', [inRoom, new Uint8Array([0, 1, 255])]), { actions: [{ op: 'send', data: new Uint8Array([0, 1, 255]) }] });
    assert.deepEqual(await c.rt.call('onMessage', [inRoom, '{"bye":true}']), { actions: [{ op: 'close', code: 4000, reason: 'bye' }] });
    assert.deepEqual(await c.rt.call('onMessage', [inRoom, '[1]']), { actions: [{ op: 'send', data: { echo: [1] } }] });
    assert.deepEqual(await c.rt.call('onClose', [conn, 1001]), { actions: [] });
    assert.ok(c.h.logs.some((l) => l.msg === 'left' && l.conn_id === 'c1' && l.code === 1001));
  } finally {
    await c.rt.dispose();
  }
});

test('docs/process-abi.md: plugway.testing runs the WebSocket example without the host', { skip: binarySkip('python3', 'python3') }, async () => {
  const [, , ws] = await pythonBlocks();
  const dir = await mkdtemp(join(tmpdir(), 'plugway-doc-py-ws-'));
  await writeFile(join(dir, 'plugin.py'), ws!);
  const script = `
from plugway.testing import connection, load
plugin = load(${JSON.stringify(join(dir, 'plugin.py'))})
conn = connection(user={"id": "ada"}, params={"room": "r"})
assert plugin.on_open(conn) == {"actions": [{"op": "join", "room": "r"}, {"op": "send", "data": {"joined": "r"}}]}
assert conn.rooms == {"r"}
assert plugin.on_message(conn, '{"say": "hi"}')["actions"] == [{"op": "broadcast", "room": "r", "data": {"from": "ada", "say": "hi"}, "except_self": True}]
assert plugin.on_message({"id": "x", "params": {"room": "r"}}, b"\\x00")["actions"] == [{"op": "send", "data": b"\\x00"}]
print("ok")
`;
  const out = execFileSync('python3', ['-c', script], { env: { ...process.env, PYTHONPATH: join(ROOT, 'sdk/python') }, encoding: 'utf8' });
  assert.equal(out.trim(), 'ok');
});
