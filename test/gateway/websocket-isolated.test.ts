// WebSocket endpoints served by isolated plugins, with real ws clients over loopback: the Python
// example (process runtime, in its bubblewrap sandbox) and the AssemblyScript one (wasm). Each hook
// is a call into the plugin; what it answers (send, join, broadcast, close) is applied by the gateway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createHost } from '../../src/host/index.js';
import { binarySkip } from '../helpers/services.js';
import { http, startGateway, testConfig, tmpDir } from './helpers.js';
import { open, type Client } from './websocket-client.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const skip = binarySkip('bwrap', 'bubblewrap');

/** The examples, each in a plugin folder of its own, on a gateway with the sandbox on (the default). */
async function serve(...examples: string[]) {
  const dir = await tmpDir('ws-isolated');
  for (const name of examples) {
    if (name === 'worker-rooms') await writeWorkerRooms(join(dir, name));
    else await symlink(join(ROOT, 'examples', name), join(dir, name));
  }
  const config = testConfig();
  assert.equal(config.sandbox, true);
  const host = createHost({ config, logger: pino({ level: 'silent' }), pluginDirs: [dir] });
  await host.start();
  for (const name of examples) {
    const p = host.get(name);
    assert.equal(p?.state, 'running', `${name}: ${p?.error?.message ?? ''}`);
  }
  const gw = await startGateway(host);
  return { host, gw, close: async () => (await gw.close(), await host.stop()) };
}

/** Two clients in one room and one in another; each has had its greeting. */
async function threeClients(base: string): Promise<{ ann: Client; bob: Client; other: Client; annHello: any }> {
  const ann = await open(`${base}/lobby`);
  const annHello = await ann.next();
  assert.equal(annHello.joined, 'lobby');
  const bob = await open(`${base}/lobby`);
  assert.equal((await bob.next()).joined, 'lobby');
  const other = await open(`${base}/elsewhere`);
  assert.equal((await other.next()).joined, 'elsewhere');
  return { ann, bob, other, annHello };
}

async function binaryEcho(c: Client): Promise<void> {
  c.send(Buffer.from([0, 1, 2, 255]));
  const bin = await c.next();
  assert.ok(Buffer.isBuffer(bin), 'a binary frame comes back binary');
  assert.deepEqual([...bin], [0, 1, 2, 255]);
}

test('a Python process plugin in its sandbox: echo, binary echo, room broadcast, close with its code, on_close tells the room', { skip }, async (t) => {
  const s = await serve('python-chat');
  t.after(() => s.close());
  const { ann, bob, other, annHello } = await threeClients(`${s.gw.url}/py/chat`);
  assert.match(annHello.id, /^[0-9a-f-]{36}$/);

  ann.send({ echo: 'me' });
  assert.deepEqual(await ann.next(), { echo: { echo: 'me' } });
  ann.send('plain text');
  assert.deepEqual(await ann.next(), { echo: 'plain text' });
  await binaryEcho(ann);

  // A broadcast reaches both members of the room (the sender too), and not the other room: other's
  // next message is the answer to its own echo.
  bob.send({ say: 'hi all' });
  const atAnn = await ann.next();
  assert.equal(atAnn.say, 'hi all');
  assert.equal(atAnn.from.length, 8);
  assert.deepEqual(await bob.next(), atAnn);
  other.send({ echo: 'still here' });
  assert.deepEqual(await other.next(), { echo: { echo: 'still here' } });

  // bye: a send, then a close with the plugin's code; on_close broadcasts to the ones left.
  ann.send({ bye: true });
  assert.deepEqual(await ann.next(), { bye: annHello.id });
  assert.deepEqual(await ann.closed, { code: 4000, reason: 'bye' });
  assert.deepEqual(await bob.next(), { left: annHello.id, code: 4000 });
  const metrics = (await http(`${s.gw.url}/metrics`)).text;
  assert.match(metrics, /plugway_websocket_closes_total\{plugin="python-chat",code="4000"\} 1/);
  assert.match(metrics, /plugway_websocket_connections\{plugin="python-chat"\} 2/);
  bob.ws.close();
  other.ws.close();
});

test('a wasm plugin (AssemblyScript, Extism): echo, binary echo, room broadcast, close with its code, on_close tells the room', async (t) => {
  execFileSync(process.execPath, ['scripts/build-examples.mjs', '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
  const s = await serve('wasm-chat');
  t.after(() => s.close());
  const { ann, bob, other } = await threeClients(`${s.gw.url}/wasm/chat`);

  ann.send('hello "there"');
  assert.deepEqual(await ann.next(), { echo: 'hello "there"' });
  await binaryEcho(ann);

  bob.send('say hi all');
  assert.equal(await ann.next(), 'hi all');
  assert.equal(await bob.next(), 'hi all');
  other.send('still here');
  assert.deepEqual(await other.next(), { echo: 'still here' });

  ann.send('bye');
  assert.equal(await ann.next(), 'bye');
  assert.deepEqual(await ann.closed, { code: 4000, reason: 'bye' });
  const left = await bob.next();
  assert.equal(left.code, 4000);
  assert.match(left.left, /^[0-9a-f-]{36}$/);
  bob.ws.close();
  other.ws.close();
});

/** A worker plugin answering with actions, as wasm and process plugins do. */
async function writeWorkerRooms(dir: string): Promise<void> {
  await mkdir(dir);
  await writeFile(join(dir, 'plugin.yaml'), 'id: worker-rooms\nversion: 1.0.0\nkind: handler\nruntime: { type: worker, entry: index.mjs }\nendpoints: [{ path: "/wk/{room}", protocol: websocket }]\n');
  await writeFile(
    join(dir, 'index.mjs'),
    `export default {
  onOpen(conn) { return { actions: [{ op: 'join', room: conn.params.room }, { op: 'send', data: { joined: conn.params.room, rooms: conn.rooms } }] }; },
  onMessage(conn, data) {
    if (data === 'bad') return { actions: [{ op: 'send', data: 'never sent' }, { op: 'close', code: 1005 }] };
    if (data === 'rooms') return { rooms: conn.rooms };
    return { actions: [{ op: 'broadcast', room: conn.params.room, data: { said: data }, exceptSelf: true }] };
  },
};
`,
  );
}

test('a worker plugin answers with actions too; an invalid action is refused whole, logged with its code, and the connection stays', async (t) => {
  const s = await serve('worker-rooms');
  t.after(() => s.close());
  const { ann, bob, other } = await threeClients(`${s.gw.url}/wk`);
  ann.send('rooms');
  assert.deepEqual(await ann.next(), { rooms: ['lobby'] }, 'the snapshot lists the rooms joined');
  ann.send('hi');
  assert.deepEqual(await bob.next(), { said: 'hi' }, 'exceptSelf: not back to ann');
  bob.send('bad');
  bob.send('rooms');
  assert.deepEqual(await bob.next(), { rooms: ['lobby'] }, 'nothing of the bad answer was applied, and the connection is open');
  const line = s.gw.logs.lines.find((l) => (l as { err?: { code?: string } }).err?.code === 'PLW_ERR_WS_ACTION_INVALID');
  assert.ok(line, 'the refusal is logged with its code');
  assert.match(String((line as { err: { message: string } }).err.message), /close code 1005 cannot be sent/);
  other.send('rooms');
  assert.deepEqual(await other.next(), { rooms: ['elsewhere'] }, "ann's broadcast did not reach another room");
  for (const c of [ann, bob, other]) c.ws.close();
});
