// Shared plugin config through the admin API against a real etcd: PUT /admin/plugins/:id/config on
// one `plugway serve` node is checked against the plugin's config_schema, served through a
// blue-green swap, and applied on every node; an invalid config is refused before anything changes;
// the config outlives a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { binarySkip } from '../helpers/services.js';
import { http, tmpDir } from '../gateway/helpers.js';
import { createEtcdServer, type EtcdServer } from './etcd-server.js';
import { startServeNode, until, type ServeNode } from './serve-node.js';

const skip = binarySkip('etcd', 'etcd-server');
const TOKEN = 'cluster-config-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
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
  const dir = await tmpDir('config-plugins');
  await mkdir(join(dir, 'greeter'));
  await writeFile(
    join(dir, 'greeter', 'plugin.yaml'),
    `id: greeter\nversion: 1.0.0\nkind: handler\nruntime: { type: inprocess, entry: index.mjs }\nendpoints: [{ path: /greet, method: GET }]\nconfig_schema:\n  type: object\n  additionalProperties: false\n  properties:\n    greeting: { type: string, minLength: 1, default: Hello }\n    excited: { type: boolean, default: false }\n`,
  );
  await writeFile(
    join(dir, 'greeter', 'index.mjs'),
    `export default (config) => ({ async handleRequest() { return { statusCode: 200, body: { text: config.greeting + (config.excited ? '!' : '.') } }; } });\n`,
  );
  return dir;
}

const text = async (n: ServeNode) => (await http(`${n.url}/greet`)).json?.text as string | undefined;

test('PUT /admin/plugins/:id/config: checked, swapped in, applied on every node, kept across a restart', { skip }, async () => {
  const prefix = `/plugway-config-${process.pid}`;
  const dir = await pluginsDir();
  const stateB = await tmpDir('config-b');
  const a = await startServeNode({ etcd: etcd.endpoint, prefix, token: TOKEN, nodeId: 'cfg-a', args: ['--plugins', dir] });
  nodes.push(a);
  let b = await startServeNode({ etcd: etcd.endpoint, prefix, token: TOKEN, nodeId: 'cfg-b', args: ['--plugins', dir], stateDir: stateB });
  nodes.push(b);
  assert.equal(await text(a), 'Hello.');

  // Invalid: refused with the field named, nothing changes anywhere.
  const bad = await http(`${a.url}/admin/plugins/greeter/config`, { method: 'PUT', headers: auth, json: { greeting: '', loud: true } });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.json.error.code, 'PLW_ERR_PLUGIN_CONFIG_INVALID');
  assert.match(bad.json.error.message, /greeting|loud/);
  assert.equal(await text(a), 'Hello.');

  const ok = await http(`${a.url}/admin/plugins/greeter/config`, { method: 'PUT', headers: auth, json: { greeting: 'Bonjour', excited: true } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(await text(a), 'Bonjour!', 'served at once on the node that took it');
  await until(async () => (await text(b)) === 'Bonjour!', 5000, 'node b serving the new config');
  const read = await http(`${b.url}/admin/plugins/greeter/config`, { headers: auth });
  assert.equal(read.json.config.greeting, 'Bonjour');

  // The config outlives a restart (from the shared desired state).
  await b.stop();
  b = await startServeNode({ etcd: etcd.endpoint, prefix, token: TOKEN, nodeId: 'cfg-b', args: ['--plugins', dir], stateDir: stateB });
  nodes.push(b);
  assert.equal(await text(b), 'Bonjour!');
});
