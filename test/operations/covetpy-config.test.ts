// CovetPy's PluginConfig keys in plugway.yaml, with their meaning: plugin_paths (~ expanded),
// hot_reload / reload_on_change, auto_resolve_dependencies, allow_circular_dependencies,
// sandbox_enabled, memory_limit ("100MB") and cpu_limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadHostConfig } from '../../src/host/config.js';
import { createHost } from '../../src/host/index.js';

async function plugin(root: string, id: string, opts: { deps?: string[]; runtime?: string; handler?: string } = {}) {
  await mkdir(join(root, id), { recursive: true });
  const deps = opts.deps?.length ? `dependencies:\n${opts.deps.map((d) => `  - ${d}\n`).join('')}` : '';
  await writeFile(join(root, id, 'plugin.yaml'), `id: ${id}\nversion: 1.0.0\nkind: handler\nruntime:\n  type: ${opts.runtime ?? 'inprocess'}\n  entry: index.mjs\n${deps}`);
  await writeFile(join(root, id, 'index.mjs'), opts.handler ?? 'export default { handleRequest: () => ({ statusCode: 200 }) };\n');
}

async function configFile(text: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-covet-'));
  await writeFile(join(dir, 'plugway.yaml'), text);
  return { dir, file: join(dir, 'plugway.yaml') };
}

function logSink() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(c, _e, cb) {
      for (const l of String(c).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

test("the seed's keys, at the top level as CovetPy writes them or under plugins:", async () => {
  const top = await configFile(
    `plugin_paths:\n  - ./plugins\n  - ~/.covet/plugins\nsandbox_enabled: true\nmemory_limit: "100MB"\ncpu_limit: 0.8\nhot_reload: true\nreload_on_change: true\nauto_resolve_dependencies: true\nallow_circular_dependencies: false\n`,
  );
  const c = await loadHostConfig({ file: top.file, env: {} });
  assert.deepEqual(c.plugins.directories, [join(top.dir, 'plugins'), join(homedir(), '.covet/plugins')]);
  assert.equal(c.plugins.sandboxEnabled, true);
  assert.equal(c.plugins.memoryLimitMb, 100);
  assert.equal(c.plugins.cpuLimit, 0.8);
  assert.equal(c.plugins.hotReload, true);
  assert.equal(c.plugins.autoResolveDependencies, true);
  assert.equal(c.plugins.allowCircularDependencies, false);

  const under = await configFile(`plugins:\n  plugin_paths: [~/x]\n  memory_limit: 1GiB\n  hot_reload: true\n  reload_on_change: false\n`);
  const u = await loadHostConfig({ file: under.file, env: {} });
  assert.deepEqual(u.plugins.directories, [join(homedir(), 'x')]);
  assert.equal(u.plugins.memoryLimitMb, 1024);
  assert.equal(u.plugins.hotReload, false, 'hot_reload without reload_on_change: reload through the API only, no watcher');
  const only = await configFile(`plugins:\n  reload_on_change: true\n`);
  assert.equal((await loadHostConfig({ file: only.file, env: {} })).plugins.hotReload, true);

  const bad = await configFile(`plugins:\n  memory_limit: lots\n  cpu_limit: 0\n`);
  await assert.rejects(
    loadHostConfig({ file: bad.file, env: {} }),
    (e: Error & { code: string }) => e.code === 'PLW_ERR_CONFIG_INVALID' && /memory_limit/.test(e.message) && /cpu_limit/.test(e.message),
  );
});

test('sandbox_enabled runs an in-process plugin from disk in a worker, with memory_limit as its resources.memory', async () => {
  const root = await mkdtemp(join(tmpdir(), 'plugway-covet-sandbox-'));
  await plugin(root, 'boxed', { handler: "import { isMainThread } from 'node:worker_threads';\nexport default { handleRequest: () => ({ statusCode: 200, body: { mainThread: isMainThread } }) };\n" });
  const { file } = await configFile(`plugin_paths: [${root}]\nsandbox_enabled: true\nmemory_limit: 64MB\n`);
  const host = createHost({ config: await loadHostConfig({ file, env: {} }), logger: pino({ level: 'silent' }) });
  await host.start();
  try {
    const p = host.get('boxed')!;
    assert.equal(p.state, 'running');
    assert.equal(p.manifest.runtime.type, 'worker');
    assert.equal(p.manifest.resources.memory, 64);
    const r = await host.call<{ body: { mainThread: boolean } }>('boxed', 'handleRequest', [{ id: 'r', method: 'GET', path: '/', params: {}, query: {}, headers: {}, context: {} }]);
    assert.equal(r.body.mainThread, false);
  } finally {
    await host.stop();
  }
});

test('allow_circular_dependencies: false fails a cycle; true starts it in id order with a warning', async () => {
  const root = await mkdtemp(join(tmpdir(), 'plugway-covet-cycle-'));
  await plugin(root, 'alpha', { deps: ['beta >= 1.0.0'] });
  await plugin(root, 'beta', { deps: ['alpha >= 1.0.0'] });
  for (const allow of [false, true]) {
    const { file } = await configFile(`plugin_paths: [${root}]\nallow_circular_dependencies: ${allow}\n`);
    const sink = logSink();
    const host = createHost({ config: await loadHostConfig({ file, env: {} }), logger: sink.logger });
    const running: string[] = [];
    host.events.on('plugin.state_changed', (e) => void ((e.data as { to: string; id: string }).to === 'running' && running.push((e.data as { id: string }).id)));
    await host.start();
    try {
      if (!allow) {
        assert.equal(host.get('alpha')?.error?.code, 'PLW_ERR_DEPENDENCY_CYCLE');
        assert.equal(host.get('beta')?.error?.code, 'PLW_ERR_DEPENDENCY_CYCLE');
      } else {
        assert.equal(host.get('alpha')?.state, 'running');
        assert.equal(host.get('beta')?.state, 'running');
        assert.deepEqual(running, ['alpha', 'beta'], 'id order');
        const warning = sink.lines.find((l) => l.code === 'PLW_ERR_DEPENDENCY_CYCLE_ALLOWED');
        assert.ok(warning, 'a warning is logged');
        assert.equal(warning.level, 40);
        assert.match(String(warning.msg), /alpha → beta → alpha.*order \(alpha, beta\).*alpha→beta/);
      }
    } finally {
      await host.stop();
    }
  }
});

test('auto_resolve_dependencies: false starts in id order without ordering by dependencies', async () => {
  const root = await mkdtemp(join(tmpdir(), 'plugway-covet-resolve-'));
  await plugin(root, 'app', { deps: ['lib >= 1.0.0'] });
  await plugin(root, 'lib');
  for (const resolve of [true, false]) {
    const { file } = await configFile(`plugin_paths: [${root}]\nauto_resolve_dependencies: ${resolve}\n`);
    const host = createHost({ config: await loadHostConfig({ file, env: {} }), logger: pino({ level: 'silent' }) });
    await host.start();
    try {
      assert.equal(host.get('lib')?.state, 'running');
      if (resolve) assert.equal(host.get('app')?.state, 'running');
      else {
        assert.equal(host.get('app')?.state, 'failed', '"app" sorts before "lib": its dependency is not running yet');
        assert.equal(host.get('app')?.error?.code, 'PLW_ERR_DEPENDENCY_FAILED');
      }
    } finally {
      await host.stop();
    }
  }
});

test('cpu_limit is measured: a worker plugin busier than its share of a core reports degraded', async () => {
  const root = await mkdtemp(join(tmpdir(), 'plugway-covet-cpu-'));
  await plugin(root, 'busy', { runtime: 'worker', handler: 'export default { handleRequest() { const end = Date.now() + 300; while (Date.now() < end); return { statusCode: 200 }; } };\n' });
  await plugin(root, 'idle', { runtime: 'worker' });
  const { file } = await configFile(`plugin_paths: [${root}]\ncpu_limit: 0.2\n`);
  const host = createHost({ config: await loadHostConfig({ file, env: {} }), logger: pino({ level: 'silent' }) });
  await host.start();
  try {
    assert.equal(host.get('busy')?.manifest.resources.cpu, 0.2);
    await host.checkHealth('busy'); // the measurement window starts here
    const req = [{ id: 'r', method: 'GET', path: '/', params: {}, query: {}, headers: {}, context: {} }];
    for (let i = 0; i < 3; i++) await host.call('busy', 'handleRequest', req);
    const h = await host.checkHealth('busy');
    assert.equal(h.status, 'degraded', JSON.stringify(h));
    assert.match(h.message ?? '', /above its limit of 20%/);
    assert.equal(host.get('busy')?.health, 'degraded');
    // An idle worker over a measurement window of its own (the window is what is measured, not a wait for an event).
    await host.checkHealth('idle');
    await new Promise((r) => setTimeout(r, 1000)); // the window's length is what is measured
    const idle = await host.checkHealth('idle');
    assert.equal(idle.status, 'healthy', JSON.stringify(idle));
  } finally {
    await host.stop();
  }
});
