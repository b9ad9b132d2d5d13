// WebSocket endpoints over loopback with a real ws client: rooms, auth and rate limit at the
// upgrade and per message, message size, max connections, idle timeout, backpressure, metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayOf } from '../../src/gateway/index.js';
import { http, makeHost, startGateway, testConfig, rl } from './helpers.js';
import { connect, isClient, open } from './websocket-client.js';
import { waitFor } from '../helpers/wait.js';

/** A bearer token is the user id ("Bearer alice"); "admin-*" users get the role admin. */
const tokenAuth = {
  authenticate(req: { headers: Record<string, string | undefined> }) {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return m ? { id: m[1], roles: m[1]!.startsWith('admin-') ? ['admin'] : ['user'] } : null;
  },
};

/** Rooms chat: {join: room} joins, {room, text} broadcasts to the room; onOpen greets. */
const chat = {
  onOpen(conn: any) {
    conn.send({ hello: conn.user?.id ?? 'anonymous', id: conn.id });
  },
  onMessage(conn: any, data: string) {
    const m = JSON.parse(data);
    if (m.join) {
      conn.join(m.join);
      return { joined: m.join };
    }
    if (m.flood) {
      const big = 'x'.repeat(256 * 1024);
      for (let i = 0; i < m.flood && conn.send(big); i++);
      return undefined;
    }
    conn.broadcast(m.room, { from: conn.user?.id ?? 'anonymous', text: m.text });
    return undefined;
  },
};

const closes: Array<{ id: string; code: number }> = [];
const snake = {
  on_open(conn: any) {
    conn.send('welcome');
  },
  on_message(_conn: any, data: string) {
    return `echo:${data}`;
  },
  on_close(conn: any, code: number) {
    closes.push({ id: conn.id, code });
  },
};

async function gateway(maxBuffered?: number) {
  const config = testConfig((c) => {
    c.gateway.auth.plugin = 'token-auth';
    if (maxBuffered) c.gateway.websocket = { maxBufferedBytes: maxBuffered };
  });
  const ws = (path: string, extra: Record<string, unknown> = {}) => ({ path, method: 'GET', protocol: 'websocket', auth: 'none', roles: [], permissions: [], ...extra });
  const host = await makeHost(
    [
      { id: 'token-auth', plugin: tokenAuth, manifest: { kind: 'auth' } },
      {
        id: 'chat',
        plugin: chat,
        manifest: {
          endpoints: [ws('/chat', { auth: 'required', websocket: { maxMessageBytes: 1024, idleTimeoutMs: 0, maxConnections: 3 } }), ws('/admin-chat', { auth: 'required', roles: ['admin'] })] as never,
        },
      },
      {
        id: 'snake',
        plugin: snake,
        manifest: { endpoints: [ws('/echo/{room}', { rateLimit: rl('3/min'), websocket: { maxMessageBytes: 64, idleTimeoutMs: 300, maxConnections: 10 } })] as never },
      },
    ],
    config,
  );
  const gw = await startGateway(host);
  return { gw, host };
}

test("two clients in a room see each other's messages; the user comes from the auth plugin", async (t) => {
  const { gw, host } = await gateway();
  t.after(async () => (await gw.close(), await host.stop()));
  const alice = await open(`${gw.url}/chat`, { authorization: 'Bearer alice' });
  const bob = await open(`${gw.url}/chat`, { authorization: 'Bearer bob' });
  assert.equal((await alice.next()).hello, 'alice');
  assert.equal((await bob.next()).hello, 'bob');
  alice.send({ join: 'doc-1' });
  bob.send({ join: 'doc-1' });
  assert.deepEqual(await alice.next(), { joined: 'doc-1' });
  assert.deepEqual(await bob.next(), { joined: 'doc-1' });
  alice.send({ room: 'doc-1', text: 'hi bob' });
  assert.deepEqual(await bob.next(), { from: 'alice', text: 'hi bob' });
  assert.deepEqual(await alice.next(), { from: 'alice', text: 'hi bob' });
  bob.send({ room: 'doc-1', text: 'hi alice' });
  assert.deepEqual(await alice.next(), { from: 'bob', text: 'hi alice' });
  assert.deepEqual(await bob.next(), { from: 'bob', text: 'hi alice' });

  // Metrics: open connections, messages in and out; closes by code once they close.
  const ws = gatewayOf(gw.app).websockets;
  assert.equal(ws.openConnections('chat'), 2);
  let metrics = (await http(`${gw.url}/metrics`)).text;
  assert.match(metrics, /plugway_websocket_connections\{plugin="chat"\} 2/);
  assert.match(metrics, /plugway_websocket_messages_total\{plugin="chat",direction="in"\} 4/);
  assert.match(metrics, /plugway_websocket_messages_total\{plugin="chat",direction="out"\} 8/);
  alice.ws.close(1000);
  bob.ws.close(4000);
  await Promise.all([alice.closed, bob.closed]);
  await waitFor(() => ws.openConnections('chat') === 0);
  metrics = (await http(`${gw.url}/metrics`)).text;
  assert.match(metrics, /plugway_websocket_connections\{plugin="chat"\} 0/);
  assert.match(metrics, /plugway_websocket_closes_total\{plugin="chat",code="1000"\} 1/);
  assert.match(metrics, /plugway_websocket_closes_total\{plugin="chat",code="4000"\} 1/);
  // One request line per upgrade (101), and open/close lines.
  const upgrades = gw.logs.requestLines().filter((l) => l.path === '/chat');
  assert.deepEqual(
    upgrades.map((l) => l.status_code),
    [101, 101],
  );
  assert.equal(gw.logs.lines.filter((l) => l.msg === 'websocket closed' && l.plugin_id === 'chat').length, 2);
});

test('auth is checked at the upgrade: 401 without credentials, 403 without the role; unknown paths 404', async (t) => {
  const { gw, host } = await gateway();
  t.after(async () => (await gw.close(), await host.stop()));
  const none = await connect(`${gw.url}/chat`);
  assert.ok(!isClient(none));
  assert.equal(none.status, 401);
  assert.equal(none.body.error.code, 'PLW_ERR_UNAUTHENTICATED');
  const user = await connect(`${gw.url}/admin-chat`, { authorization: 'Bearer bob' });
  assert.ok(!isClient(user));
  assert.equal(user.status, 403);
  const admin = await open(`${gw.url}/admin-chat`, { authorization: 'Bearer admin-ann' });
  assert.equal((await admin.next()).hello, 'admin-ann');
  admin.ws.close();
  const missing = await connect(`${gw.url}/nowhere`);
  assert.ok(!isClient(missing));
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'PLW_ERR_ROUTE_NOT_FOUND');
  // The plain HTTP routes still work beside (the upgrade listener does not take them).
  assert.equal((await http(`${gw.url}/health`)).status, 200);
});

test('snake_case hooks; an oversized message closes with 1009; the rate limit applies per message and at the upgrade', async (t) => {
  closes.length = 0;
  const { gw, host } = await gateway();
  t.after(async () => (await gw.close(), await host.stop()));
  const c = await open(`${gw.url}/echo/r1`);
  assert.equal(await c.next(), 'welcome');
  c.send('one');
  assert.equal(await c.next(), 'echo:one');
  c.send('two'); // 3/min: the upgrade took one, 'one' and 'two' the others
  assert.equal(await c.next(), 'echo:two');
  c.send('three');
  const limited = await c.next();
  assert.equal(limited.error.code, 'PLW_ERR_RATE_LIMITED');
  const refused = await connect(`${gw.url}/echo/r1`);
  assert.ok(!isClient(refused));
  assert.equal(refused.status, 429);
  assert.ok(refused.body.error.code === 'PLW_ERR_RATE_LIMITED');

  c.send('y'.repeat(65)); // max_message_bytes: 64
  const closed = await c.closed;
  // The client reads 1009 unless its own close frame raced the server's (then the TCP end: 1006).
  assert.ok(closed.code === 1009 || closed.code === 1006, `client saw ${closed.code}`);
  await waitFor(() => closes.length === 1);
  assert.equal(closes[0]!.code, 1009); // what the gateway sent, as on_close and the metrics see it
  assert.match((await http(`${gw.url}/metrics`)).text, /plugway_websocket_closes_total\{plugin="snake",code="1009"\} 1/);
});

test('idle timeout closes a silent connection (1001); max_connections refuses the next upgrade (503)', async (t) => {
  const { gw, host } = await gateway();
  t.after(async () => (await gw.close(), await host.stop()));
  const quiet = await open(`${gw.url}/echo/r2`);
  assert.equal((await quiet.closed).code, 1001); // idle_timeout 300ms

  const three = await Promise.all([1, 2, 3].map((i) => open(`${gw.url}/chat`, { authorization: `Bearer u${i}` })));
  const fourth = await connect(`${gw.url}/chat`, { authorization: 'Bearer u4' });
  assert.ok(!isClient(fourth));
  assert.equal(fourth.status, 503);
  assert.equal(fourth.body.error.code, 'PLW_ERR_WS_TOO_MANY_CONNECTIONS');
  three[0]!.ws.close();
  await three[0]!.closed;
  await waitFor(() => gatewayOf(gw.app).websockets.openConnections('chat') === 2);
  const again = await open(`${gw.url}/chat`, { authorization: 'Bearer u4' });
  assert.equal((await again.next()).hello, 'u4');
  for (const c of [...three.slice(1), again]) c.ws.close();
});

test('a slow reader is closed with 1008 once its buffered bytes pass the limit', async (t) => {
  const { gw, host } = await gateway(64 * 1024);
  t.after(async () => (await gw.close(), await host.stop()));
  const c = await open(`${gw.url}/chat`, { authorization: 'Bearer slow' });
  await c.next();
  c.ws.pause(); // stop reading: the server's socket buffers fill
  c.send({ flood: 400 }); // up to 100 MB if nothing stopped it
  await waitFor(async () => /plugway_websocket_closes_total\{plugin="chat",code="1008"\} 1/.test((await http(`${gw.url}/metrics`)).text), 20_000);
  c.ws.resume();
  const closed = await c.closed;
  assert.ok(closed.code === 1008 || closed.code === 1006, `closed with ${closed.code}`);
});
