import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needsSdkResolution } from './sdk-resolve.js';

test('needsSdkResolution: only run-time imports of plugway in the plugin folder call for the hook', async () => {
  const root = await mkdtemp(join(tmpdir(), 'plw-sdkscan-'));
  try {
    const plugin = async (name: string, files: Record<string, string>, entry = 'index.mjs') => {
      const dir = join(root, name);
      for (const [f, text] of Object.entries(files)) {
        await mkdir(join(dir, f, '..'), { recursive: true });
        await writeFile(join(dir, f), text);
      }
      await writeFile(join(dir, 'plugin.yaml'), `id: ${name}\n`);
      return needsSdkResolution(join(dir, entry));
    };
    assert.equal(await plugin('plain', { 'index.mjs': 'export default { handleRequest() { return { statusCode: 200 }; } };' }), false);
    assert.equal(
      await plugin(
        'types-only',
        { 'src/index.ts': "import type { HandlerPlugin } from 'plugway/sdk';\nexport type { PluginContext } from 'plugway/sdk';\nexport default {} satisfies HandlerPlugin;" },
        'src/index.ts',
      ),
      false,
    );
    assert.equal(await plugin('static', { 'index.mjs': "import { definePlugin } from 'plugway/sdk';\nexport default definePlugin({});" }), true);
    assert.equal(await plugin('bare-import', { 'index.mjs': "import 'plugway';" }), true);
    assert.equal(await plugin('dynamic', { 'index.mjs': "const sdk = await import('plugway/sdk');" }), true);
    assert.equal(await plugin('cjs', { 'index.cjs': 'const { definePlugin } = require("plugway/sdk");' }, 'index.cjs'), true);
    // A helper module beside the entry counts; node_modules does not; a mention in a comment or string does not.
    assert.equal(await plugin('helper', { 'dist/index.js': "import './lib.js';", 'dist/lib.js': "export { definePlugin } from 'plugway/sdk';" }, 'dist/index.js'), true);
    assert.equal(await plugin('deps', { 'index.mjs': '// served by plugway\nconst s = "plugway/sdk";', 'node_modules/x/index.js': "import 'plugway/sdk';" }), false);
    assert.equal(await needsSdkResolution(join(root, 'missing', 'index.mjs')), true, 'unreadable: the hook, to be safe');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
