// The KubeStack seed's layouts: `another-plugin/manifest.yaml` loads like plugin.yaml; native .so and
// .py files are listed as failed with a hint (never skipped silently), and `plugin validate` agrees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHost } from '../../src/host/index.js';
import { testConfig } from '../gateway/helpers.js';
import { runCli } from '../helpers/cli.js';

const seedManifest = (id: string, extra = '') => `id: ${id}
name: My Custom Plugin
version: 1.0.0
type: middleware
description: Custom middleware diagnostics
author: Your Name
license: Apache-2.0
capabilities:
  - health-check
  - diagnose
${extra}`;

async function layout(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'plugway-seed-layout-'));
  // A runnable plugin in the folder layout, under the seed's file name.
  await mkdir(join(root, 'js-plugin'));
  await writeFile(join(root, 'js-plugin', 'manifest.yaml'), `id: js-plugin\nversion: 1.0.0\nkind: handler\nendpoints:\n  - path: /js\n    method: GET\n`);
  await writeFile(join(root, 'js-plugin', 'index.mjs'), 'export default { handleRequest: () => ({ statusCode: 200, body: { from: "manifest.yaml" } }) };\n');
  // The seed's own tree: my-plugin.so + my-plugin.yaml, another-plugin/{plugin.so, manifest.yaml}.
  await writeFile(join(root, 'my-plugin.so'), '\x7fELF');
  await writeFile(join(root, 'my-plugin.yaml'), seedManifest('my-plugin'));
  await mkdir(join(root, 'another-plugin'));
  await writeFile(join(root, 'another-plugin', 'plugin.so'), '\x7fELF');
  await writeFile(join(root, 'another-plugin', 'manifest.yaml'), seedManifest('another-plugin'));
  // No manifest at all: a lone Python file and a folder with one.
  await writeFile(join(root, 'lone.py'), 'print("hi")\n');
  await mkdir(join(root, 'py-folder'));
  await writeFile(join(root, 'py-folder', 'main.py'), 'x = 1\n');
  // Python under the process runtime: loadable (whether bwrap is here is the runtime's business).
  await writeFile(join(root, 'py-process.yaml'), 'id: py-process\nversion: 1.0.0\nkind: handler\nruntime:\n  type: process\n');
  await writeFile(join(root, 'py-process.py'), 'print(1)\n');
  return root;
}

test('manifest.yaml loads like plugin.yaml; .so and .py are listed as failed with a hint', async () => {
  const root = await layout();
  const host = createHost({ config: testConfig((c) => (c.plugins.directories = [root])), logger: pino({ level: 'silent' }) });
  await host.start();
  try {
    const js = host.get('js-plugin');
    assert.equal(js?.state, 'running');
    assert.deepEqual((await host.call<{ body: unknown }>('js-plugin', 'handleRequest', [{ id: 'r', method: 'GET', path: '/js', params: {}, query: {}, headers: {}, context: {} }])).body, {
      from: 'manifest.yaml',
    });
    for (const [id, file, hint] of [
      ['my-plugin', 'my-plugin.so', /native shared library.*Extism Go PDK.*type: process/],
      ['another-plugin', 'plugin.so', /native shared library/],
      ['lone', 'lone.py', /Python source.*runtime: \{type: process, entry: lone\.py\}/],
      ['py-folder', 'main.py', /Python source/],
    ] as const) {
      const p = host.get(id);
      assert.equal(p?.state, 'failed', id);
      assert.equal(p?.error?.code, 'PLW_ERR_PLUGIN_NOT_LOADABLE', id);
      assert.ok(p?.error?.message.includes(file), `${id}: ${p?.error?.message}`);
      assert.match(p!.error!.message, hint);
    }
    assert.equal(host.get('another-plugin')?.manifest.kind, 'middleware', 'the seed manifest was read (type: → kind)');
    // A Python entry under the process runtime is a plugin, not a native file to report.
    assert.equal(host.get('py-process')?.error?.code === 'PLW_ERR_PLUGIN_NOT_LOADABLE', false);
  } finally {
    await host.stop();
  }
});

test('plugin validate agrees with the loader on the seed layouts', async () => {
  const root = await layout();
  const ok = await runCli(['plugin', 'validate', join(root, 'js-plugin')]);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /js-plugin@1\.0\.0/);
  const py = await runCli(['plugin', 'validate', join(root, 'py-process.yaml')]);
  assert.doesNotMatch(py.stdout + py.stderr, /PLW_ERR_PLUGIN_NOT_LOADABLE/);
  for (const target of [join(root, 'another-plugin'), join(root, 'my-plugin.yaml')]) {
    const r = await runCli(['plugin', 'validate', target]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /PLW_ERR_PLUGIN_NOT_LOADABLE .*\.so.*native shared library/);
  }
});
