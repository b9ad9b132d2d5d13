// The request log line names the version that served the request: during a canary, the canary's
// for its share of the traffic, not the stable version's for all of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { request } from 'undici';
import { createHost } from '../../src/host/index.js';
import { createGateway, gatewayOf } from '../../src/gateway/index.js';
import { swapConfig, tmp, writeVersion } from '../hot-swap/helpers.js';

test('during a canary each log line carries the version that served the request', async (t) => {
  const root = await tmp('canary-log');
  await writeVersion(root, 'split', { version: '1.0.0' });
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const host = createHost({ config: swapConfig(), logger: pino({ level: 'silent' }), pluginDirs: [root] });
  await host.start();
  const app = await createGateway({ host, stateDir: await tmp('canary-log-state'), env: {}, logger: pino({ level: 'info' }, sink) });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(async () => {
    await app.close();
    await host.stop();
  });
  await writeVersion(root, 'split', { version: '2.0.0' });
  const token = gatewayOf(app).adminToken.token;
  const c = await request(`${url}/admin/plugins/split/canary`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ version: '2.0.0', percent: 50, sticky_by: 'none' }),
  });
  assert.equal(c.statusCode, 200, await c.body.text());
  const served = new Map<string, string>();
  for (let i = 0; i < 40; i++) {
    const r = await request(`${url}/split`, { headers: { 'x-request-id': `req-${i}` } });
    served.set(`req-${i}`, ((await r.body.json()) as { version: string }).version);
  }
  assert.ok(new Set(served.values()).size === 2, `both versions served: ${[...served.values()].join(' ')}`);
  const logged = lines.filter((l) => typeof l.request_id === 'string' && String(l.request_id).startsWith('req-'));
  assert.equal(logged.length, 40);
  for (const l of logged) assert.equal(l.version, served.get(String(l.request_id)), `line ${JSON.stringify(l)}`);
});
