// One plugin contract for every runtime: a `kind: auth` plugin without authenticate fails to load
// with PLW_ERR_KIND_CONTRACT in-process and in a worker alike, and `plugin validate`'s check agrees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHost } from '../../src/host/index.js';
import { kindContractError } from '../../src/manifest/plugin-contract.js';

for (const runtime of ['inprocess', 'worker'] as const) {
  test(`kind contract (${runtime}): an auth plugin without authenticate fails with PLW_ERR_KIND_CONTRACT`, async (t) => {
    const root = await mkdtemp(join(tmpdir(), `plugway-contract-${runtime}-`));
    const dir = join(root, 'no-auth');
    await mkdir(dir);
    await writeFile(join(dir, 'plugin.yaml'), `id: no-auth\nname: no-auth\nversion: 1.0.0\nkind: auth\nruntime:\n  type: ${runtime}\n  entry: index.mjs\n`);
    await writeFile(join(dir, 'index.mjs'), 'export default { authorize() { return true; } };\n');
    const host = createHost({ logger: pino({ level: 'silent' }), pluginDirs: [root] });
    t.after(() => host.stop());
    await host.start().catch(() => undefined);
    const p = host.get('no-auth');
    assert.equal(p?.state, 'failed');
    assert.equal(p?.error?.code, 'PLW_ERR_KIND_CONTRACT');
    assert.match(p!.error!.message, /authenticate/);
  });
}

test('kind contract: the same question answered the same way from what a plugin implements', () => {
  const e = kindContractError({ id: 'x', kind: 'auth' }, (m) => m === 'authorize');
  assert.equal(e?.code, 'PLW_ERR_KIND_CONTRACT');
  assert.equal(
    kindContractError({ id: 'x', kind: 'middleware' }, (m) => m === 'onResponse'),
    undefined,
  );
});
