// Version pins across nodes against a real etcd: a rollback on one `plugway serve` node switches
// every node to that version; a node that does not keep the pinned version keeps serving its own
// and says why in GET /admin/nodes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { binarySkip } from '../helpers/services.js';
import { http, tmpDir } from '../gateway/helpers.js';
import type { NodeInfo } from '../../src/cluster/node-registry.js';
import { createEtcdServer, type EtcdServer } from './etcd-server.js';
import { startServeNode, until, type ServeNode } from './serve-node.js';

const skip = binarySkip('etcd', 'etcd-server');
const TOKEN = 'cluster-pins-token-0123456789abcdef';
const post = (json: unknown = {}) => ({ method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, json });

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

async function writeGreeter(dir: string, version: string): Promise<void> {
  await mkdir(join(dir, 'greeter'), { recursive: true });
  await writeFile(join(dir, 'greeter', 'plugin.yaml'), `id: greeter\nversion: ${version}\nkind: handler\nruntime: { type: inprocess, entry: index.mjs }\nendpoints: [{ path: /greet, method: GET }]\n`);
  await writeFile(join(dir, 'greeter', 'index.mjs'), `export default { async handleRequest() { return { statusCode: 200, body: { version: '${version}' } }; } };\n`);
}

const served = async (n: ServeNode) => (await http(`${n.url}/greet`)).json?.version as string | undefined;

test('a rollback on one node switches every node; a node without that version reports why', { skip }, async () => {
  const prefix = `/plugway-pins-${process.pid}`;
  const dirs = [await tmpDir('pins-a'), await tmpDir('pins-b'), await tmpDir('pins-c')];
  for (const d of dirs) await writeGreeter(d, '1.0.0');
  for (const [i, d] of dirs.entries()) {
    nodes.push(await startServeNode({ etcd: etcd.endpoint, prefix, token: TOKEN, nodeId: `pin-${'abc'[i]}`, args: ['--plugins', d] }));
  }
  const [a, b, c] = nodes as [ServeNode, ServeNode, ServeNode];
  // 2.0.0 lands on a and b (both now keep 1.0.0 and 2.0.0); c only ever had 1.0.0 and stays there.
  for (const [i, n] of [a, b].entries()) {
    await writeGreeter(dirs[i]!, '2.0.0');
    const r = await http(`${n.url}/admin/plugins/greeter/reload`, post());
    assert.equal(r.status, 200, r.text);
  }
  assert.equal(await served(a), '2.0.0');
  assert.equal(await served(b), '2.0.0');

  // c is asked (through the shared state) to serve 2.0.0, which it does not keep: it keeps 1.0.0 and says so.
  const cNode = await until(
    async () => {
      const l = (await http(`${a.url}/admin/nodes`, { headers: { authorization: `Bearer ${TOKEN}` } })).json as { nodes: NodeInfo[] };
      return l.nodes.find((n) => n.id === 'pin-c' && n.problems?.some((p) => p.plugin === 'greeter'));
    },
    10_000,
    'node c reporting that it cannot serve 2.0.0',
  );
  assert.equal(cNode.problems![0]!.code, 'PLW_ERR_VERSION_NOT_FOUND');
  assert.equal(await served(c), '1.0.0');

  // Roll back on a: b follows, through its own blue-green switch.
  const rb = await http(`${a.url}/admin/plugins/greeter/rollback`, post({ version: '1.0.0' }));
  assert.equal(rb.status, 200, rb.text);
  assert.equal(await served(a), '1.0.0');
  await until(async () => (await served(b)) === '1.0.0', 5000, 'node b serving the rolled-back 1.0.0');
  const versions = (await http(`${b.url}/admin/plugins/greeter/versions`, { headers: { authorization: `Bearer ${TOKEN}` } })).json;
  assert.equal(versions.active.version, '1.0.0');

  // And forward again: the pin is a version, in either direction.
  assert.equal((await http(`${b.url}/admin/plugins/greeter/rollback`, post({ version: '2.0.0' }))).status, 200);
  await until(async () => (await served(a)) === '2.0.0', 5000, 'node a serving 2.0.0 pinned on b');

  // A canary started on a runs on b too, at the same weight; aborting it on a ends it on b.
  const get = { headers: { authorization: `Bearer ${TOKEN}` } };
  const started = await http(`${a.url}/admin/plugins/greeter/canary`, post({ version: '1.0.0', percent: 30 }));
  assert.equal(started.status, 200, started.text);
  const onB = await until(
    async () => {
      const c = (await http(`${b.url}/admin/plugins/greeter/canary`, get)).json;
      return c?.canary?.version === '1.0.0' ? c : undefined;
    },
    5000,
    'node b running the canary started on a',
  );
  assert.equal(onB.percent, 30);
  assert.equal((await http(`${a.url}/admin/plugins/greeter/canary/abort`, post())).status, 200);
  await until(async () => (await http(`${b.url}/admin/plugins/greeter/canary`, get)).json?.canary === null, 5000, 'the canary ended on b');
  assert.equal(await served(b), '2.0.0');
});
