// One change, one route rebuild: a reload through the admin API (register beside, start, switch,
// drain, stop, unregister: many events) recompiles the route table once, and so do enable/disable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { gatewayOf } from '../../src/gateway/index.js';
import { startStack, tmp, writeVersion } from './helpers.js';

test('a reload, a disable and an enable each rebuild the route table once', async (t) => {
  const root = await tmp('rebuilds');
  await writeVersion(root, 'hello', { version: '1.0.0' });
  const s = await startStack(root);
  t.after(() => s.close());
  const core = gatewayOf(s.app).core;
  const settle = async () => {
    // Signals after the answer would show up here (coalesced rebuilds run on a microtask).
    for (let i = 0; i < 5; i++) await tick();
    return core.rebuilds;
  };

  let before = await settle();
  await writeVersion(root, 'hello', { version: '1.0.1' });
  const r = await s.admin('POST', '/plugins/hello/reload');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.version, '1.0.1');
  assert.equal((await settle()) - before, 1, 'one rebuild per reload');
  const served = await fetch(`${s.url}/hello`);
  assert.deepEqual(await served.json(), { version: '1.0.1', user: null });

  for (const action of ['disable', 'enable']) {
    before = await settle();
    const a = await s.admin('POST', `/plugins/hello/${action}`);
    assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.equal((await settle()) - before, 1, `one rebuild per ${action}`);
  }
});
