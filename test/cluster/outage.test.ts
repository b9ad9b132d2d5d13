// etcd going away under real `plugway serve` nodes: requests keep being served (0 failures), admin
// writes answer 503 PLW_ERR_STATE_UNAVAILABLE and change nothing, a node restarted during the outage
// boots from its local snapshot, and every node resyncs when etcd is back, with no operator step.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { binarySkip } from '../helpers/services.js';
import { http, tmpDir } from '../gateway/helpers.js';
import { createEtcdServer, type EtcdServer } from './etcd-server.js';
import { startServeNode, until, type ServeNode } from './serve-node.js';

const skip = binarySkip('etcd', 'etcd-server');
const TOKEN = 'cluster-outage-token-0123456789abcdef';
const post = { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } };
let etcd: EtcdServer;
const nodes: ServeNode[] = [];

before(async () => {
  if (skip) return;
  etcd = await createEtcdServer();
  await etcd.start();
});
after(async () => {
  for (const n of nodes) await n.stop('SIGKILL');
  if (etcd) await etcd.destroy();
});

async function pluginsDir(): Promise<string> {
  const dir = await tmpDir('outage-plugins');
  for (const id of ['alpha', 'beta']) {
    await mkdir(join(dir, id));
    await writeFile(join(dir, id, 'plugin.yaml'), `id: ${id}\nversion: 1.0.0\nkind: handler\nruntime: { type: inprocess, entry: index.mjs }\nendpoints: [{ path: /${id}, method: GET }]\n`);
    await writeFile(join(dir, id, 'index.mjs'), `export default { async handleRequest() { return { statusCode: 200, body: { id: '${id}' } }; } };\n`);
  }
  return dir;
}

test('etcd down: 0 failed requests, admin writes refused with a code, boot from snapshot, resync after', { skip }, async () => {
  const prefix = `/plugway-outage-${process.pid}`;
  const dir = await pluginsDir();
  const stateB = await tmpDir('outage-b');
  const a = await startServeNode({ etcd: etcd.endpoint, prefix, token: TOKEN, nodeId: 'out-a', args: ['--plugins', dir] });
  nodes.push(a);
  let b = await startServeNode({ etcd: etcd.endpoint, prefix, token: TOKEN, nodeId: 'out-b', args: ['--plugins', dir], stateDir: stateB });
  nodes.push(b);
  assert.equal((await http(`${a.url}/admin/plugins/beta/disable`, post)).status, 200);
  await until(async () => (await http(`${b.url}/beta`)).status === 503, 5000, 'beta disabled on b');

  await etcd.stop();
  // Requests during the outage, on both nodes, while one restarts: none fails.
  const results: number[] = [];
  const load = (async () => {
    for (let i = 0; i < 100; i++) {
      const [ra, rb] = await Promise.all([http(`${a.url}/alpha`), http(`${b.url}/alpha`).catch(() => ({ status: -1 }))]);
      results.push(ra.status, rb.status);
    }
  })();
  await load;
  assert.deepEqual([...new Set(results)], [200], 'every request answered 200 while etcd was down');

  // An admin write while etcd is away changes nothing and says why.
  await until(async () => (await http(`${a.url}/admin/plugins/beta/enable`, post)).status === 503, 10_000, 'a 503 for an admin write once the node noticed etcd is gone');
  const refused = await http(`${a.url}/admin/plugins/beta/enable`, post);
  assert.equal(refused.json.error.code, 'PLW_ERR_STATE_UNAVAILABLE');
  assert.equal((await http(`${a.url}/beta`)).status, 503, 'beta is still disabled');

  // b restarts during the outage: it boots from its snapshot (beta disabled) instead of refusing to start.
  await b.stop();
  b = await startServeNode({ etcd: etcd.endpoint, prefix, token: TOKEN, nodeId: 'out-b', args: ['--plugins', dir], stateDir: stateB });
  nodes.push(b);
  assert.match(b.output(), /etcd is unreachable: serving the last desired state/);
  assert.equal((await http(`${b.url}/alpha`)).status, 200);
  assert.equal((await http(`${b.url}/beta`)).status, 503, 'the snapshot kept beta disabled');

  // etcd is back: both nodes resync by themselves; a change made then reaches both.
  await etcd.start();
  await until(async () => (await http(`${a.url}/admin/plugins/beta/enable`, post)).status === 200, 15_000, 'admin writes accepted again on a');
  await until(async () => (await http(`${b.url}/beta`)).status === 200, 15_000, 'b following the shared state again');
  await until(async () => (await http(`${b.url}/admin/nodes`, { headers: { authorization: `Bearer ${TOKEN}` } })).json?.nodes?.length === 2, 15_000, 'both nodes back in the node list');
});
