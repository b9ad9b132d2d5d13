// The dashboard's Nodes panel with a real cluster: two `plugway serve` nodes on one etcd, the page
// of one of them lists both (with the plugins each serves); a gateway on its own shows no panel
// (live.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binarySkip } from '../helpers/services.js';
import { http } from '../gateway/helpers.js';
import { createEtcdServer } from '../cluster/etcd-server.js';
import { startServeNode, until, type ServeNode } from '../cluster/serve-node.js';
import { chromiumSkip, launchChromium, tmp, writePlugin } from './helpers.js';

const skip = chromiumSkip() || binarySkip('etcd', 'etcd-server');
const TOKEN = 'dashboard-nodes-token-0123456789abcdef';

test('with a cluster, the Nodes panel lists every node and what it serves', { skip, timeout: 90_000 }, async (t) => {
  const etcd = await createEtcdServer();
  const nodes: ServeNode[] = [];
  const browser = await launchChromium();
  // in reverse: the browser, the nodes (a clean stop leaves the list), then etcd
  t.after(async () => {
    await browser.close().catch(() => undefined);
    for (const n of nodes) await n.stop();
    await etcd.destroy();
  });
  await etcd.start();
  const root = await tmp('nodes');
  await writePlugin(root, { id: 'hello', version: '1.0.0' });
  const prefix = `/plugway-dash-nodes-${process.pid}`;
  for (const id of ['node-a', 'node-b']) nodes.push(await startServeNode({ etcd: etcd.endpoint, prefix, token: TOKEN, nodeId: id, args: ['--plugins', root] }));
  const a = nodes[0]!;
  await until(async () => ((await http(`${a.url}/admin/nodes`, { headers: { authorization: `Bearer ${TOKEN}` } })).json?.nodes?.length === 2 ? true : undefined), 15_000, 'both nodes in the list');

  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await page.goto(`${a.url}/dashboard`);
  await page.fill('#token', TOKEN);
  await page.click('#login-submit');
  await page.waitForSelector('#nodes:not([hidden]) #nodes-table tr[data-node-id="node-b"]');
  assert.deepEqual(await page.locator('#nodes-table tr[data-node-id]').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { nodeId: string } }).dataset.nodeId)), ['node-a', 'node-b']);
  const b = await page.locator('#nodes-table tr[data-node-id="node-b"]').textContent();
  assert.match(b!, /hello 1\.0\.0/);
  assert.ok(b!.includes(nodes[1]!.url), 'the address node-b listens on');
  assert.match((await page.locator('#nodes-table tr[data-node-id="node-a"]').textContent())!, /node-a •/, 'this node is marked');
  assert.deepEqual(problems, []);
});
