// An async error in a canary fails the canary alone: the release watch aborts it, the active version
// keeps serving and the plugins that depend on it stay running (only the active version cascades).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nextEvent, startStack, swapConfig, tmp, writeVersion } from './helpers.js';
import type { StateChange } from '../../src/host/types.js';

async function writeDependent(root: string): Promise<void> {
  const dir = join(root, 'dep');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'index.mjs'), `export default { handleRequest() { return { statusCode: 200, body: { ok: true } }; } };\n`);
  await writeFile(
    join(dir, 'plugin.yaml'),
    `id: dep\nname: dep\nversion: 1.0.0\nkind: handler\nruntime:\n  type: inprocess\n  entry: index.mjs\nrequires: ["base"]\nendpoints:\n  - path: /dep\n    method: GET\n    auth: none\n`,
  );
}

/** Version 2.0.0 of base throws from a timer after its first call: an error outside any call. */
async function writeExplodingCanary(root: string): Promise<void> {
  await writeVersion(root, 'base', { version: '2.0.0' });
  await writeFile(
    join(root, 'base', 'index.mjs'),
    `export default {
  handleRequest() { setTimeout(() => { throw new Error('canary timer exploded'); }, 1); return { statusCode: 200, body: { version: '2.0.0' } }; },
};
`,
  );
}

test('an async error in a canary aborts the canary without failing the dependents of the active version', async () => {
  const root = await tmp('plugins');
  await writeVersion(root, 'base', { version: '1.0.0' });
  await writeDependent(root);
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.watchWindowMs = 0)) });
  try {
    assert.equal(s.host.get('dep')!.state, 'running');
    await writeExplodingCanary(root);
    const started = await s.admin('POST', '/plugins/base/canary', { version: '2.0.0', percent: 99, sticky_by: 'none' });
    assert.equal(started.status, 200, JSON.stringify(started.json));

    const asyncError = nextEvent(s.host, 'plugin.async_error', (d: { id: string; version: string }) => d.id === 'base' && d.version === '2.0.0');
    const canaryFailed = nextEvent<StateChange>(s.host, 'plugin.state_changed', (d) => d.id === 'base' && d.version === '2.0.0' && d.to === 'failed');
    const aborted = nextEvent(s.host, 'plugin.canary_aborted', (d: { id: string; automatic: boolean }) => d.id === 'base' && d.automatic);
    // Calls until one lands on the canary (99 %): its timer then throws outside the call.
    let onCanary = false;
    for (let i = 0; i < 200 && !onCanary; i++) {
      const r = await s.host.call<{ body: { version: string } }>('base', 'handleRequest', [{ id: `req-${i}`, method: 'GET', path: '/base', headers: {} }]);
      onCanary = r.body.version === '2.0.0';
    }
    assert.ok(onCanary, 'a call reached the canary');
    await asyncError;
    await canaryFailed;
    await aborted;
    // A cascade, had one been started, holds dep's lock: waiting on that lock lets it finish first.
    await s.host.registry.lock('dep', () => undefined);

    assert.equal(s.host.get('dep')!.state, 'running', 'the dependent of the active version keeps running');
    assert.equal(s.host.get('base')!.version, '1.0.0');
    assert.equal(s.host.get('base')!.state, 'running');
    assert.equal((await s.admin('GET', '/plugins/base/canary')).json.canary, null);
    const dep = await fetch(`${s.url}/dep`);
    assert.equal(dep.status, 200);
    const base = (await (await fetch(`${s.url}/base`)).json()) as { version: string };
    assert.equal(base.version, '1.0.0');
  } finally {
    await s.close();
  }
});
