// The kv-protocol example through a real host and gateway, with a raw TCP client on loopback:
// GET/SET/DEL, QUIT closes, limits (max connections, idle timeout, frame size), metrics and logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { symlink } from 'node:fs/promises';
import { pino } from 'pino';
import { createHost } from '../../src/host/index.js';
import { createGateway, gatewayOf } from '../../src/gateway/index.js';
import { defaultHostConfig } from '../../src/host/config.js';
import { LogCapture, tmpDir } from '../../test/gateway/helpers.js';
import { waitFor } from '../../test/helpers/wait.js';

const here = dirname(fileURLToPath(import.meta.url));

async function start(mutate?: (c: ReturnType<typeof defaultHostConfig>) => void) {
  const config = defaultHostConfig();
  config.logging.level = 'info';
  mutate?.(config);
  // A plugins folder holding only this example (the examples folder holds the others too).
  const root = await tmpDir('kv-root');
  await symlink(here, join(root, 'kv-protocol'));
  const host = createHost({ config, logger: pino({ level: 'silent' }), pluginDirs: [root] });
  await host.start();
  const logs = new LogCapture();
  const app = await createGateway({ host, logDestination: logs, stateDir: await tmpDir('kv'), env: {} });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const protocols = gatewayOf(app).protocols;
  await protocols.ready();
  const addr = protocols.address('kv-protocol');
  assert.ok(addr, 'kv-protocol listens');
  return { host, app, logs, addr, close: async () => (await app.close(), await host.stop()) };
}

/** A raw line client: send a line, read the next line. */
async function client(port: number) {
  const s: Socket = connect(port, '127.0.0.1');
  await once(s, 'connect');
  let buf = '';
  const lines: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  s.setEncoding('utf8');
  s.on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const closed = once(s, 'close');
  return {
    s,
    closed,
    next: () => (lines.length ? Promise.resolve(lines.shift()!) : new Promise<string>((r) => waiting.push(r))),
    cmd(line: string) {
      s.write(`${line}\r\n`);
      return this.next();
    },
  };
}

test('GET/SET/DEL over a raw socket, values in ctx.storage; QUIT closes; metrics and log lines', async (t) => {
  const gw = await start();
  t.after(() => gw.close());
  const c = await client(gw.addr.port);
  assert.equal(await c.next(), 'READY kv-protocol 1');
  assert.equal(await c.cmd('GET greeting'), 'NOT_FOUND');
  assert.equal(await c.cmd('SET greeting hello world'), 'OK');
  assert.equal(await c.cmd('GET greeting'), 'VALUE hello world');
  assert.equal(await gw.host.storage.get('kv:greeting'), undefined, "the plugin's storage is namespaced");
  // Two commands in one packet, one split across two: framing is by line, not by read.
  c.s.write('SET a 1\nGET a\nGE');
  assert.equal(await c.next(), 'OK');
  assert.equal(await c.next(), 'VALUE 1');
  c.s.write('T a\n');
  assert.equal(await c.next(), 'VALUE 1');
  assert.equal(await c.cmd('DEL greeting'), 'DELETED');
  assert.equal(await c.cmd('DEL greeting'), 'NOT_FOUND');
  assert.match(await c.cmd('FLY away'), /^ERR unknown command/);
  // Another connection sees the same store.
  const d = await client(gw.addr.port);
  await d.next();
  assert.equal(await d.cmd('GET a'), 'VALUE 1');
  assert.equal(await c.cmd('QUIT'), 'BYE');
  await c.closed;
  d.s.end();
  await d.closed;

  const metrics = await (await fetch(`http://127.0.0.1:${(gw.app.server.address() as { port: number }).port}/metrics`)).text();
  assert.match(metrics, /plugway_protocol_frames_total\{plugin="kv-protocol"\} 11/);
  assert.match(metrics, /plugway_protocol_bytes_total\{plugin="kv-protocol",direction="in"\} \d+/);
  await waitFor(() => gw.logs.lines.filter((l) => l.msg === 'protocol connection closed').length === 2);
  const closedLine = gw.logs.lines.find((l) => l.msg === 'protocol connection closed' && l.reason === 'closed by the plugin');
  assert.ok(closedLine, JSON.stringify(gw.logs.lines.filter((l) => String(l.msg).startsWith('protocol'))));
  assert.equal(closedLine.frames, 10);
  assert.ok(gw.logs.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('protocol plugin kv-protocol listening on 127.0.0.1:')));
});

test('a line longer than max_frame_bytes (64 KiB) closes the connection, with the reason in its log line', async (t) => {
  const gw = await start();
  t.after(() => gw.close());
  const big = await client(gw.addr.port);
  await big.next();
  big.s.write('SET k ' + 'x'.repeat(70_000));
  await big.closed;
  await waitFor(() => gw.logs.lines.some((x) => x.msg === 'protocol connection closed' && String(x.reason).startsWith('no complete frame')));
});
