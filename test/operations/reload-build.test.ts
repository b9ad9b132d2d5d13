// Reloads that cannot serve stale code: sources newer than the built entry are rebuilt (build.mjs)
// or refused with PLW_ERR_PLUGIN_BUILD_STALE; the version history keeps the entry's hash; reads write nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHost } from '../../src/host/index.js';
import { http, startGateway, testConfig } from '../gateway/helpers.js';

const TOKEN = 'tok-reload-build';
const auth = { authorization: `Bearer ${TOKEN}` };

/** A plugin whose entry dist/index.mjs is built from src/index.mjs (a copy: the build step, not the compiler, is under test). */
async function writePlugin(root: string, id: string, opts: { buildScript: boolean }) {
  const dir = join(root, id);
  await mkdir(join(dir, 'src'), { recursive: true });
  await mkdir(join(dir, 'dist'), { recursive: true });
  const manifest = (version: string) => `id: ${id}\nversion: ${version}\nkind: handler\nruntime:\n  type: inprocess\n  entry: dist/index.mjs\nendpoints:\n  - path: /${id}\n    method: GET\n`;
  const source = (word: string) => `export default { handleRequest: () => ({ statusCode: 200, body: { word: '${word}' } }) };\n`;
  await writeFile(join(dir, 'plugin.yaml'), manifest('0.1.0'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: id, private: true, type: 'module', scripts: { build: 'node build.mjs' } }));
  await writeFile(join(dir, 'src', 'index.mjs'), source('old'));
  await writeFile(join(dir, 'dist', 'index.mjs'), source('old'));
  if (opts.buildScript) {
    await writeFile(join(dir, 'build.mjs'), `import { copyFileSync } from 'node:fs';\ncopyFileSync('src/index.mjs', 'dist/index.mjs');\nconsole.log('build: dist/index.mjs');\n`);
  }
  // The build is older than anything edited later in the test.
  const past = new Date(Date.now() - 60_000);
  for (const f of ['src/index.mjs', 'dist/index.mjs', ...(opts.buildScript ? ['build.mjs'] : [])]) await utimes(join(dir, f), past, past);
  return {
    dir,
    /** Edits the source and bumps the version, as a developer does before `plugway plugin reload`. */
    async edit(word: string, version: string) {
      await writeFile(join(dir, 'src', 'index.mjs'), source(word));
      await writeFile(join(dir, 'plugin.yaml'), manifest(version));
    },
  };
}

async function serve(root: string, hotReload = false) {
  const config = testConfig((c) => {
    c.plugins.directories = [root];
    c.reload.watchWindowMs = 0;
    c.plugins.hotReload = hotReload;
  });
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  await host.start();
  const gw = await startGateway(host, { env: { PLUGWAY_ADMIN_TOKEN: TOKEN } });
  return { host, gw, close: async () => (await gw.close(), await host.stop()) };
}

test('sources newer than the built entry and no build plugway knows: the reload is refused and the old code keeps serving', async () => {
  const root = await mkdtemp(join(tmpdir(), 'plugway-stale-'));
  const p = await writePlugin(root, 'stale-one', { buildScript: false });
  const s = await serve(root);
  try {
    assert.deepEqual((await http(`${s.gw.url}/stale-one`)).json, { word: 'old' });
    await p.edit('new', '0.2.0');
    const r = await http(`${s.gw.url}/admin/plugins/stale-one/reload`, { method: 'POST', headers: auth });
    assert.equal(r.status, 409);
    assert.equal(r.json.error.code, 'PLW_ERR_PLUGIN_BUILD_STALE');
    assert.match(r.json.error.message, /src\/index\.mjs is newer than the built entry dist\/index\.mjs; build it first \(npm run build/);
    assert.equal(s.host.get('stale-one')?.version, '0.1.0', 'the old version stays active, under its own number');
    assert.deepEqual((await http(`${s.gw.url}/stale-one`)).json, { word: 'old' });
    const audit = await readFile(join(s.gw.stateDir, 'audit.log'), 'utf8');
    assert.match(audit, /PLW_ERR_PLUGIN_BUILD_STALE/);
  } finally {
    await s.close();
  }
});

test('with build.mjs the reload builds first: 0.2.0 serves the code built as 0.2.0, and the history keeps the entry hash', async () => {
  const root = await mkdtemp(join(tmpdir(), 'plugway-rebuild-'));
  const p = await writePlugin(root, 'rebuilt-one', { buildScript: true });
  const s = await serve(root);
  const rebuilt: unknown[] = [];
  s.host.events.on('plugin.rebuilt', (e) => void rebuilt.push(e));
  try {
    await p.edit('new', '0.2.0');
    const r = await http(`${s.gw.url}/admin/plugins/rebuilt-one/reload`, { method: 'POST', headers: auth });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.version, '0.2.0');
    assert.equal(rebuilt.length, 1);
    assert.deepEqual((await http(`${s.gw.url}/rebuilt-one`)).json, { word: 'new' });
    const built = await readFile(join(p.dir, 'dist', 'index.mjs'));
    const v = await http(`${s.gw.url}/admin/plugins/rebuilt-one/versions`, { headers: auth });
    const active = v.json.versions.find((x: { active: boolean }) => x.active);
    assert.equal(active.version, '0.2.0');
    assert.equal(active.entry, 'dist/index.mjs');
    assert.equal(active.entry_hash, createHash('sha256').update(built).digest('hex'));
    const first = v.json.versions.find((x: { version: string }) => x.version === '0.1.0');
    assert.ok(first.entry_hash && first.entry_hash !== active.entry_hash);
  } finally {
    await s.close();
  }
});

test('the file watcher: an edited source is refused without a build, built and swapped in with build.mjs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'plugway-watch-build-'));
  const stale = await writePlugin(root, 'watch-stale', { buildScript: false });
  const built = await writePlugin(root, 'watch-built', { buildScript: true });
  const s = await serve(root, true);
  const once = <T>(type: string, id: string) =>
    new Promise<T>((res) => {
      const off: () => void = s.host.events.on(type, (e) => {
        if ((e.data as { id: string }).id === id) off(), res(e.data as T);
      });
    });
  try {
    const refused = once<{ step: string; code: string }>('plugin.reload_failed', 'watch-stale');
    await stale.edit('new', '0.2.0');
    assert.deepEqual(await refused.then((d) => [d.step, d.code]), ['build', 'PLW_ERR_PLUGIN_BUILD_STALE']);
    assert.deepEqual((await http(`${s.gw.url}/watch-stale`)).json, { word: 'old' });

    const swapped = once<{ to: string }>('plugin.swapped', 'watch-built');
    await built.edit('new', '0.2.0');
    assert.equal((await swapped).to, '0.2.0');
    assert.deepEqual((await http(`${s.gw.url}/watch-built`)).json, { word: 'new' });
  } finally {
    await s.close();
  }
});

test('opening a plugin (detail, versions, canary, health) writes neither desired state nor audit', async () => {
  const root = await mkdtemp(join(tmpdir(), 'plugway-reads-'));
  await writePlugin(root, 'read-only', { buildScript: false });
  const s = await serve(root);
  try {
    const files = ['audit.log', 'desired-state.json'].map((f) => join(s.gw.stateDir, f));
    const snapshot = async () => Promise.all(files.map(async (f) => (await stat(f).catch(() => undefined))?.mtimeMs ?? 'absent'));
    const before = await snapshot();
    for (const path of ['/plugins/read-only', '/plugins/read-only/versions', '/plugins/read-only/canary', '/plugins/read-only/metrics', '/plugins', '/health?refresh=1']) {
      const r = await http(`${s.gw.url}/admin${path}`, { headers: auth });
      assert.equal(r.status, 200, `${path}: ${r.text}`);
    }
    assert.deepEqual(await snapshot(), before);
    assert.equal(await readFile(files[0]!, 'utf8').catch(() => ''), '', 'no audit line for reads');
  } finally {
    await s.close();
  }
});
