// Plugin code cluster-wide, with real etcd and NATS started by the test and three `plugway serve`
// nodes: a signed package deployed through one node is served by all three; a tampered package is
// refused where it is deployed, and a record pointing at altered bytes is refused by every node with
// the reason in GET /admin/nodes; a node that joins later installs what the cluster runs before it serves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { binarySkip } from '../helpers/services.js';
import { runCli } from '../helpers/cli.js';
import { http, tmpDir } from '../gateway/helpers.js';
import { packPlugin } from '../../src/toolkit/pack.js';
import { generateSigningKeys, signPackage } from '../../src/toolkit/signing.js';
import { createEtcdClient } from '../../src/state/etcd-client.js';
import { natsPackageStore, sha256Hex } from '../../src/cluster/package-store.js';
import type { NodeInfo } from '../../src/cluster/node-registry.js';
import { createEtcdServer, type EtcdServer } from './etcd-server.js';
import { createNatsServer, NATS_BIN, type NatsServer } from './nats-server.js';
import { startServeNode, until, type ServeNode } from './serve-node.js';

const skip = binarySkip('etcd', 'etcd-server') || binarySkip(NATS_BIN, 'nats-server');
const TOKEN = 'cluster-deploy-token-0123456789abcdef';
const PREFIX = `/plugway-deploy-${process.pid}`;
let etcd: EtcdServer;
let nats: NatsServer;
const nodes: ServeNode[] = [];

before(async () => {
  if (skip) return;
  etcd = await createEtcdServer();
  nats = await createNatsServer();
  await Promise.all([etcd.start(), nats.start()]);
});
after(async () => {
  for (const n of nodes) await n.stop('SIGKILL');
  if (etcd) await etcd.destroy();
  if (nats) await nats.destroy();
});

async function writeGreeter(dir: string, version: string): Promise<string> {
  const d = join(dir, 'greeter');
  await mkdir(d, { recursive: true });
  await writeFile(join(d, 'plugin.yaml'), `id: greeter\nversion: ${version}\nkind: handler\nruntime: { type: inprocess, entry: index.mjs }\nendpoints: [{ path: /greet, method: GET }]\n`);
  await writeFile(join(d, 'index.mjs'), `export default { async handleRequest() { return { statusCode: 200, body: { version: '${version}' } }; } };\n`);
  return d;
}

const served = async (n: ServeNode) => (await http(`${n.url}/greet`)).json?.version as string | undefined;
const nodeList = async (n: ServeNode) => ((await http(`${n.url}/admin/nodes`, { headers: { authorization: `Bearer ${TOKEN}` } })).json as { nodes: NodeInfo[] }).nodes;

test('deploy once, every node serves it; tampered packages are refused everywhere; a late node catches up', { skip }, async () => {
  const keys = generateSigningKeys();
  const config = async (plugins: string) => {
    const f = join(await tmpDir('deploy-cfg'), 'plugway.yaml');
    await writeFile(
      f,
      `state: { store: etcd, etcd: { endpoints: [${JSON.stringify(etcd.endpoint)}], prefix: ${JSON.stringify(PREFIX)} } }\ncluster: { nats: { servers: [${JSON.stringify(nats.url)}] } }\nplugins: { directories: [${JSON.stringify(plugins)}] }\ntrusted_keys:\n  - |\n${keys.publicPem
        .trim()
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n')}\n`,
    );
    return f;
  };
  for (const id of ['dep-a', 'dep-b', 'dep-c']) {
    const plugins = await tmpDir(`${id}-plugins`);
    await writeGreeter(plugins, '1.0.0');
    nodes.push(await startServeNode({ token: TOKEN, nodeId: id, args: ['--config', await config(plugins)] }));
  }
  const [a, b, c] = nodes as [ServeNode, ServeNode, ServeNode];
  for (const n of [a, b, c]) assert.equal(await served(n), '1.0.0');

  // greeter 1.1.0, packed and signed, deployed through a with the CLI.
  const src = await writeGreeter(await tmpDir('deploy-src'), '1.1.0');
  const pkg = (await packPlugin(src, { out: join(await tmpDir('deploy-pkg'), 'greeter-1.1.0.tgz') })).file;
  signPackage(pkg, keys.privatePem);
  const cli = await runCli(['plugin', 'deploy', pkg, '--gateway', a.url, '--token', TOKEN]);
  assert.equal(cli.code, 0, cli.stderr + cli.stdout);
  assert.match(cli.stdout, /Deployed greeter@1\.1\.0 .*signed/);
  // All three within 5 s of the deploy's answer.
  const deadline = Date.now() + 5000;
  for (const n of [a, b, c]) await until(async () => (await served(n)) === '1.1.0', Math.max(0, deadline - Date.now()), `${n.url} serving 1.1.0 within 5 s of the deploy`);

  // A package altered after signing is refused by the node it is sent to; nothing is stored.
  const bad = join(await tmpDir('deploy-bad'), 'greeter-1.1.0.tgz');
  const bytes = await readFile(pkg);
  bytes[bytes.length - 10] ^= 0xff;
  await writeFile(bad, bytes);
  await writeFile(`${bad}.sig`, await readFile(`${pkg}.sig`));
  const refused = await runCli(['plugin', 'deploy', bad, '--gateway', b.url, '--token', TOKEN]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr + refused.stdout, /PLW_ERR_SIGNATURE_INVALID|PLW_ERR_PACKAGE_INVALID/);

  // A deploy record whose stored bytes were altered after the check (the store itself tampered
  // with): every node refuses it by sha256, keeps 1.1.0, and says why.
  const store = natsPackageStore({ servers: [nats.url], bucket: `${PREFIX.slice(1).replace(/[^A-Za-z0-9_-]/g, '_')}_packages` });
  await store.put('greeter@1.2.0-evil.tgz', bytes);
  const kv = createEtcdClient({ endpoints: [etcd.endpoint] });
  try {
    await kv.compareAndPut(
      `${PREFIX}/deploys/greeter`,
      JSON.stringify({ id: 'greeter', version: '1.2.0', sha256: sha256Hex(await readFile(pkg)), package: 'greeter@1.2.0-evil.tgz', deployed_at: new Date().toISOString(), by: 'attacker' }),
      (await kv.get(`${PREFIX}/deploys/greeter`))!.modRevision,
    );
  } finally {
    kv.close();
    await store.close();
  }
  let last: NodeInfo[] = [];
  const reported = await until(
    async () => {
      const list = (last = await nodeList(a));
      return list.length === 3 && list.every((n) => n.problems?.some((p) => p.code === 'PLW_ERR_INTEGRITY_MISMATCH')) ? list : undefined;
    },
    10_000,
    'every node reporting the altered package',
  ).catch((err) => {
    throw new Error(`${err.message}; the node list: ${JSON.stringify(last.map((n) => ({ id: n.id, problems: n.problems })))}\n${a.output().slice(-3000)}`);
  });
  assert.equal(reported.length, 3);
  for (const n of [a, b, c]) assert.equal(await served(n), '1.1.0');

  // Deploy 1.1.0 again (the last good one), then a node with no greeter at all joins: it installs it before it serves.
  assert.equal((await runCli(['plugin', 'deploy', pkg, '--gateway', c.url, '--token', TOKEN])).code, 0);
  const late = await startServeNode({ token: TOKEN, nodeId: 'dep-late', args: ['--config', await config(await tmpDir('dep-late-plugins'))] });
  nodes.push(late);
  assert.equal(await served(late), '1.1.0', 'the late node serves the deployed version as soon as it listens');
});
