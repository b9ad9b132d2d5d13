// A remote plugin's manifest changed on disk goes through the same hot swap as other runtimes:
// the new version (new upstreams) serves once its health check passes, a download in flight on
// the old one finishes, and a version whose upstreams are all down is refused, the old one serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHost } from '../../src/host/index.js';
import { http, startGateway, testConfig, tmpDir } from '../gateway/helpers.js';
import { startUpstream } from './helpers.js';

const manifest = (version: string, upstreams: string[]) => `id: catalog
version: ${version}
kind: handler
runtime:
  type: remote
  upstreams: [${upstreams.join(', ')}]
  balance: least-request
  protocol: http
endpoints:
  - { path: /catalog/*, method: GET, timeout: 10s }
health_check: { endpoint: /health, interval: 1s, timeout: 1s }
`;

test('hot swap of a remote plugin: new upstreams after the health check; the old download drains; an all-down version is refused', async (t) => {
  let releaseOld!: () => void;
  const oldDone = new Promise<void>((r) => (releaseOld = r));
  const a = await startUpstream('a', (req, res) => {
    if (req.url === '/catalog/slow') {
      // half the body now, the rest once the swap is over
      res.write('first-half;');
      void oldDone.then(() => res.end('second-half'));
      return;
    }
    res.end('a');
  });
  const b = await startUpstream('b', (_req, res) => res.end('b'));
  const root = await tmpDir('remote-swap');
  const dir = join(root, 'catalog');
  await mkdir(dir);
  await writeFile(join(dir, 'plugin.yaml'), manifest('1.0.0', [a.url]));
  const host = createHost({ config: testConfig(), logger: pino({ level: 'silent' }), pluginDirs: [root] });
  await host.start();
  const gw = await startGateway(host);
  t.after(async () => {
    await gw.close();
    await host.stop();
    await a.close();
    await b.close();
  });
  assert.equal(host.get('catalog')!.state, 'running');
  assert.equal((await http(`${gw.url}/catalog/x`)).text, 'a');

  // a download in flight on 1.0.0
  const slow = await fetch(`${gw.url}/catalog/slow`);
  const reader = slow.body!.getReader();
  const firstChunk = new TextDecoder().decode((await reader.read()).value);
  assert.equal(firstChunk, 'first-half;');

  await writeFile(join(dir, 'plugin.yaml'), manifest('1.1.0', [b.url]));
  await host.reload('catalog');
  assert.equal(host.get('catalog')!.version, '1.1.0');
  assert.equal((await http(`${gw.url}/catalog/x`)).text, 'b');
  const line = gw.logs.requestLines().at(-1)!;
  assert.equal(line.version, '1.1.0');

  // the old connection drains: the rest of the body arrives after the switch
  releaseOld();
  let rest = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rest += new TextDecoder().decode(value);
  }
  assert.equal(rest, 'second-half');

  // a version whose only upstream is down fails its health check: refused, 1.1.0 keeps serving
  await writeFile(join(dir, 'plugin.yaml'), manifest('1.2.0', ['http://127.0.0.1:1']));
  await assert.rejects(host.reload('catalog'), (err: { code?: string; message: string }) => {
    assert.equal(err.code, 'PLW_ERR_RELOAD_FAILED');
    assert.match(err.message, /health/);
    return true;
  });
  assert.equal(host.get('catalog')!.version, '1.1.0');
  assert.equal((await http(`${gw.url}/catalog/x`)).text, 'b');
});
