// WebSocket rooms across `plugway serve` nodes through a real NATS started by the test: a client on
// each node joins the same room; a broadcast on one node reaches the other's client (text and
// binary), exactly once, and another room hears nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { binarySkip } from '../helpers/services.js';
import { http, tmpDir } from '../gateway/helpers.js';
import { open } from '../gateway/websocket-client.js';
import { createNatsServer, NATS_BIN, type NatsServer } from './nats-server.js';
import { startServeNode, type ServeNode } from './serve-node.js';

const skip = binarySkip(NATS_BIN, 'nats-server');
const TOKEN = 'cluster-rooms-token-0123456789abcdef';
let nats: NatsServer;
const nodes: ServeNode[] = [];

before(async () => {
  if (skip) return;
  nats = await createNatsServer();
  await nats.start();
});
after(async () => {
  for (const n of nodes) await n.stop('SIGKILL');
  if (nats) await nats.destroy();
});

// rooms: /rooms/{room} joins {room}; {say} is broadcast to it (the sender too), a binary frame as is, anything else is echoed.
const CODE = `export default {
  onOpen(conn) { conn.join(conn.params.room); return { joined: conn.params.room }; },
  onMessage(conn, data) {
    if (typeof data !== 'string') { conn.broadcast(conn.params.room, data); return undefined; }
    const m = JSON.parse(data);
    if (m.say) { conn.broadcast(conn.params.room, { say: m.say }); return undefined; }
    return { echo: m };
  },
};
`;

async function pluginsDir(): Promise<string> {
  const dir = await tmpDir('rooms-plugins');
  await mkdir(join(dir, 'rooms'));
  await writeFile(
    join(dir, 'rooms', 'plugin.yaml'),
    'id: rooms\nversion: 1.0.0\nkind: handler\nruntime: { type: inprocess, entry: index.mjs }\nendpoints: [{ path: "/rooms/{room}", protocol: websocket }]\n',
  );
  await writeFile(join(dir, 'rooms', 'index.mjs'), CODE);
  return dir;
}

/** Resolves when the node has logged that its room relay is subscribed (an event on its output, not a poll). */
function relaying(n: ServeNode): Promise<void> {
  const done = () => n.output().includes('websocket rooms: relaying broadcasts across nodes');
  if (done()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no relay within 15 s:\n${n.output().slice(-2000)}`)), 15_000);
    const check = () => {
      if (!done()) return;
      clearTimeout(timer);
      n.child.stdout!.off('data', check);
      n.child.stderr!.off('data', check);
      resolve();
    };
    n.child.stdout!.on('data', check);
    n.child.stderr!.on('data', check);
  });
}

const metric = async (n: ServeNode, name: string): Promise<number> => {
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec((await http(`${n.url}/metrics`)).text);
  return m ? Number(m[1]) : 0;
};

test("a room broadcast on node A reaches the room's client on node B (and back), exactly once, text and binary", { skip }, async () => {
  const dir = await pluginsDir();
  const env = { PLUGWAY_NATS_SERVERS: nats.url };
  const a = await startServeNode({ token: TOKEN, nodeId: 'ws-a', args: ['--plugins', dir], env });
  nodes.push(a);
  const b = await startServeNode({ token: TOKEN, nodeId: 'ws-b', args: ['--plugins', dir], env });
  nodes.push(b);
  await Promise.all([relaying(a), relaying(b)]);

  const ann = await open(`${a.url}/rooms/doc-1`);
  const bob = await open(`${b.url}/rooms/doc-1`);
  const carol = await open(`${b.url}/rooms/doc-2`);
  for (const [c, room] of [
    [ann, 'doc-1'],
    [bob, 'doc-1'],
    [carol, 'doc-2'],
  ] as const)
    assert.deepEqual(await c.next(), { joined: room });

  ann.send({ say: 'hello from A' });
  assert.deepEqual(await bob.next(), { say: 'hello from A' }, "node B delivered A's broadcast");
  assert.deepEqual(await ann.next(), { say: 'hello from A' }, 'A delivered to its own member');
  // B answers after receiving: had A's own broadcast come back to A through NATS, it would arrive
  // before this (NATS keeps the server's order), so ann's next message proves it did not.
  bob.send({ say: 'ack from B' });
  assert.deepEqual(await ann.next(), { say: 'ack from B' }, 'exactly once at A');
  assert.deepEqual(await bob.next(), { say: 'ack from B' });

  ann.send(Buffer.from([1, 2, 3, 254]));
  const bin = await bob.next();
  assert.ok(Buffer.isBuffer(bin), 'binary stays binary across nodes');
  assert.deepEqual([...bin], [1, 2, 3, 254]);
  assert.deepEqual([...(await ann.next())], [1, 2, 3, 254]);

  // doc-2 heard none of it: carol's first message is the answer to her own.
  carol.send({ ping: 1 });
  assert.deepEqual(await carol.next(), { echo: { ping: 1 } });

  assert.equal(await metric(a, 'plugway_cluster_room_messages_sent_total'), 2);
  assert.equal(await metric(b, 'plugway_cluster_room_messages_sent_total'), 1);
  assert.equal(await metric(b, 'plugway_cluster_room_messages_received_total'), 2);
  assert.equal(await metric(a, 'plugway_cluster_room_messages_received_total'), 1);
  for (const c of [ann, bob, carol]) c.ws.close();
});
