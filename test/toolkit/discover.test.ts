// A running gateway picks up plugins installed into the folder it serves: POST /admin/plugins/discover
// (audited, in the OpenAPI document), `plugway plugin install --url` and `plugway plugin discover`.
// Conflicting and broken newcomers are reported and leave the served routes as they were.
import { runCli, type CliRun } from '../helpers/cli.js';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { request } from 'undici';
import { createGateway } from '../../src/gateway/index.js';
import { defaultHostConfig } from '../../src/host/config.js';
import { createHost } from '../../src/host/index.js';
import type { Host } from '../../src/host/types.js';
import { installPlugin } from '../../src/toolkit/install.js';

const work = mkdtempSync(join(tmpdir(), 'plugway-discover-'));
const served = join(work, 'plugins');
const stateDir = join(work, 'state');
const TOKEN = 'discover-token';
const auth = { authorization: `Bearer ${TOKEN}` };
let host: Host;
let app: FastifyInstance;
let url: string;

/** A plugin folder (outside the served one) answering GET <path> with { from: id }. */
function source(id: string, path = `/${id}`, code?: string): string {
  const dir = join(work, 'src', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'plugin.yaml'), `id: ${id}\nname: ${id}\nversion: 1.0.0\nkind: handler\nruntime:\n  type: inprocess\n  entry: index.mjs\nendpoints:\n  - path: ${path}\n    method: GET\n`);
  writeFileSync(join(dir, 'index.mjs'), code ?? `export default { handleRequest() { return { statusCode: 200, body: { from: '${id}' } }; } };\n`);
  return dir;
}

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await request(`${url}${path}`);
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

async function discover(headers: Record<string, string> = auth): Promise<{ status: number; body: any }> {
  const res = await request(`${url}/admin/plugins/discover`, { method: 'POST', headers });
  return { status: res.statusCode, body: await res.body.json() };
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCli(args, { cwd: work, env });
}

before(async () => {
  await installPlugin(source('first'), { pluginsDir: served });
  const config = defaultHostConfig();
  config.plugins.directories = [served];
  config.state.dir = stateDir;
  host = createHost({ config, logger: pino({ level: 'silent' }) });
  await host.start();
  app = await createGateway({ host, logger: pino({ level: 'silent' }), stateDir, env: { PLUGWAY_ADMIN_TOKEN: TOKEN } });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});

after(async () => {
  await app?.close();
  await host?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('a plugin installed into the served folder is unknown until discover; then it answers, once', async () => {
  assert.equal((await get('/first')).status, 200);
  await installPlugin(source('second'), { pluginsDir: served });
  assert.equal((await get('/second')).status, 404);
  const reload = await request(`${url}/admin/plugins/second/reload`, { method: 'POST', headers: auth });
  assert.equal(((await reload.body.json()) as { error: { code: string } }).error.code, 'PLW_ERR_PLUGIN_NOT_FOUND');

  const denied = await discover({});
  assert.equal(denied.status, 401);
  assert.equal((await get('/second')).status, 404, 'a refused discover loads nothing');

  const d = await discover();
  assert.equal(d.status, 200, JSON.stringify(d.body));
  assert.deepEqual(d.body, { added: ['second'], failed: [] });
  const second = await get('/second');
  assert.equal(second.status, 200);
  assert.deepEqual(second.body, { from: 'second' });
  assert.equal(host.get('second')?.state, 'running');

  assert.deepEqual((await discover()).body, { added: [], failed: [] }, 'nothing new the second time');

  const audit = readFileSync(join(stateDir, 'audit.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { action: string; result: string; message?: string; target: string });
  // a refused request is audited by the admin API's token check (action named by its path)
  const mine = audit.filter((e) => e.action === 'discover' || e.action.endsWith('/plugins/discover'));
  assert.deepEqual(
    mine.map((e) => e.result),
    ['denied', 'ok', 'ok'],
  );
  assert.match(mine[1]!.message!, /added second/);
  assert.equal(mine[1]!.target, served);
});

test('a newcomer that claims a served route, or cannot load, is reported; the served routes stay as they were', async () => {
  await installPlugin(source('thief', '/first'), { pluginsDir: served });
  const d = await discover();
  assert.equal(d.status, 200);
  assert.deepEqual(d.body.added, []);
  assert.equal(d.body.failed.length, 1, JSON.stringify(d.body));
  assert.equal(d.body.failed[0].id, 'thief');
  assert.equal(d.body.failed[0].code, 'PLW_ERR_ROUTE_CONFLICT');
  assert.match(d.body.failed[0].message, /GET \/first is claimed by both first and thief/);
  assert.equal(host.get('thief'), undefined, 'not registered: it would freeze the route table');
  rmSync(join(served, 'thief'), { recursive: true });

  // copied in by hand: install (pack) would refuse a plugin that cannot be imported
  const broken = source('broken', '/broken', 'throw new Error("cannot import me");\n');
  mkdirSync(join(served, 'broken'));
  for (const f of ['plugin.yaml', 'index.mjs']) writeFileSync(join(served, 'broken', f), readFileSync(join(broken, f)));
  const b = await discover();
  assert.deepEqual(b.body.added, []);
  assert.equal(b.body.failed[0]?.id, 'broken', JSON.stringify(b.body));
  assert.match(b.body.failed[0].message, /cannot import me/);
  assert.equal((await get('/broken')).status, 503, 'listed as failed, as at start-up');

  // the route table still rebuilds: a disable of an older plugin takes effect
  await request(`${url}/admin/plugins/first/disable`, { method: 'POST', headers: auth }).then((r) => r.body.dump());
  assert.equal((await get('/first')).status, 503);
  await request(`${url}/admin/plugins/first/enable`, { method: 'POST', headers: auth }).then((r) => r.body.dump());
  assert.equal((await get('/second')).status, 200);
});

test('OpenAPI lists POST /plugins/discover', async () => {
  const res = await request(`${url}/admin/openapi.json`, { headers: auth });
  const api = (await res.body.json()) as { paths: Record<string, { post?: { operationId: string } }> };
  assert.equal(api.paths['/plugins/discover']?.post?.operationId, 'discoverPlugins');
});

test('plugway plugin install --url tells the running gateway; plugway plugin discover reports what it found', async () => {
  const third = source('third');
  const r = await cli(['plugin', 'install', third, '--plugins', served, '--url', url], { PLUGWAY_ADMIN_TOKEN: TOKEN });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Installed third@1\\.0\\.0 → .*third; the gateway at ${url} started it`));
  assert.deepEqual((await get('/third')).body, { from: 'third' });

  // --force over a served plugin reloads it from disk
  writeFileSync(join(third, 'index.mjs'), "export default { handleRequest() { return { statusCode: 200, body: { from: 'third, again' } }; } };\n");
  const again = await cli(['plugin', 'install', third, '--plugins', served, '--force'], { PLUGWAY_URL: url, PLUGWAY_ADMIN_TOKEN: TOKEN });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /reloaded it/);
  assert.deepEqual((await get('/third')).body, { from: 'third, again' });

  await installPlugin(source('fourth'), { pluginsDir: served });
  const found = await cli(['plugin', 'discover', '--url', url], { PLUGWAY_ADMIN_TOKEN: TOKEN });
  assert.equal(found.code, 0, found.stderr);
  assert.equal(found.stdout, 'Added fourth\n');
  assert.equal((await get('/fourth')).status, 200);

  // installed, but the gateway was not told (no token): a one-line error that says it is installed
  const noToken = await cli(['plugin', 'install', source('fifth'), '--plugins', served, '--url', url]);
  assert.equal(noToken.code, 1);
  assert.match(
    noToken.stderr,
    /^plugway: PLW_ERR_ADMIN_UNAUTHORIZED: fifth@1\.0\.0 is installed in .*fifth, but the gateway at .* did not start it: (no admin token: )?PLUGWAY_ADMIN_TOKEN is not set.*\n$/,
  );
});
