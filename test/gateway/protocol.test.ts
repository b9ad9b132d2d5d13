// Protocol plugins' limits and lifecycle over raw TCP on loopback: max_connections, idle timeout,
// bytes_per_second, a custom parse(), the plugway.yaml port, and a plugin disabled closing its port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { gatewayOf } from '../../src/gateway/index.js';
import { DEFAULT_PROTOCOL_LISTEN } from '../../src/manifest/types.js';
import { makeHost, startGateway, testConfig } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

/** Length-prefixed frames (1 byte length + payload), answered upper-cased: a parse() of its own. */
const shout = {
  parse(bytes: Uint8Array) {
    const frames: string[] = [];
    let at = 0;
    while (at < bytes.length && at + 1 + bytes[at]! <= bytes.length) {
      frames.push(Buffer.from(bytes.subarray(at + 1, at + 1 + bytes[at]!)).toString());
      at += 1 + bytes[at]!;
    }
    return { frames, consumed: at };
  },
  handle(frame: string) {
    return `${frame.toUpperCase()}\n`;
  },
};

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  s.close();
  return port;
}

async function gateway(listen: Partial<typeof DEFAULT_PROTOCOL_LISTEN> & { port?: number }, pinPort?: number) {
  const config = testConfig((c) => {
    if (pinPort !== undefined) c.plugins.configs['shout'] = { enabled: true, config: {}, dependencies: [], roles: [], required: true, flags: {}, listen: { port: pinPort } };
  });
  const host = await makeHost([{ id: 'shout', plugin: shout, manifest: { kind: 'protocol', listen: { ...DEFAULT_PROTOCOL_LISTEN, port: 0, ...listen } } }], config);
  const gw = await startGateway(host);
  const protocols = gatewayOf(gw.app).protocols;
  await protocols.ready();
  return { gw, host, protocols, port: protocols.address('shout')!.port };
}

const frame = (s: string) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s)]);

async function open(port: number) {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  let data = '';
  s.setEncoding('utf8');
  s.on('data', (d: string) => (data += d));
  const closed = once(s, 'close');
  return { s, closed, data: () => data };
}

test('a custom parse(): frames split across writes are reassembled', async (t) => {
  const { gw, host, port } = await gateway({});
  t.after(async () => (await gw.close(), await host.stop()));
  const c = await open(port);
  const both = Buffer.concat([frame('hello'), frame('world')]);
  c.s.write(both.subarray(0, 8));
  c.s.write(both.subarray(8));
  await waitFor(() => c.data() === 'HELLO\nWORLD\n');
  c.s.end();
  await c.closed;
});

test('max_connections refuses the next connection; idle_timeout closes a silent one', async (t) => {
  const { gw, host, port } = await gateway({ maxConnections: 2, idleTimeoutMs: 400 });
  t.after(async () => (await gw.close(), await host.stop()));
  const a = await open(port);
  const b = await open(port);
  await waitFor(() => gw.logs.lines.filter((l) => l.msg === 'protocol connection opened').length === 2);
  const c = await open(port);
  await c.closed; // refused: closed at once
  const refused = gw.logs.lines.find((l) => l.msg === 'protocol connection refused');
  assert.equal(refused?.reason, 'max_connections');
  assert.match(await (await fetch(`${gw.url}/metrics`)).text(), /plugway_protocol_connections_refused_total\{plugin="shout",reason="max_connections"\} 1/);
  await Promise.all([a.closed, b.closed]); // idle 400 ms
  await waitFor(() => gw.logs.lines.filter((l) => l.msg === 'protocol connection closed' && l.reason === 'idle timeout').length === 2);
});

test('bytes_per_second slows a fast sender down', async (t) => {
  const { gw, host, port } = await gateway({ bytesPerSecond: 2000 });
  t.after(async () => (await gw.close(), await host.stop()));
  const c = await open(port);
  const t0 = Date.now();
  const payload = Buffer.concat(Array.from({ length: 30 }, () => frame('x'.repeat(199)))); // 6000 bytes: 3 s at 2000 B/s, 1 s of it a burst
  c.s.write(payload);
  await waitFor(() => c.data().length === 30 * 200, 10_000);
  const ms = Date.now() - t0;
  assert.ok(ms >= 1500, `6000 bytes at 2000 B/s took only ${ms} ms`);
  c.s.end();
});

test('plugway.yaml pins the port; disabling the plugin closes its port and connections', async (t) => {
  const pinned = await freePort();
  const { gw, host, protocols } = await gateway({}, pinned);
  t.after(async () => (await gw.close(), await host.stop()));
  assert.equal(protocols.address('shout')?.port, pinned);
  const c = await open(pinned);
  await host.disable('shout');
  await c.closed;
  await waitFor(() => protocols.address('shout') === undefined);
  const refused = connect(pinned, '127.0.0.1');
  const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNREFUSED');
  await host.enable('shout');
  await waitFor(() => protocols.address('shout') !== undefined);
  await protocols.ready();
  const again = await open(pinned);
  again.s.write(frame('back'));
  await waitFor(() => again.data() === 'BACK\n');
  again.s.end();
});
