// The proof: a real gateway on loopback under continuous bounded load performs five swaps by rewriting
// the plugin on disk — two good versions, one failing in init, one answering 500 (rolled back by itself
// within the watch window) and a 10% canary that is promoted — and good swaps cost zero failed requests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextEvent, startStack, tmp, writeVersion } from './helpers.js';
import { startLoad } from './load.js';

test('five swaps under continuous load: zero failed requests and zero connection errors for good swaps and a failed init', async (t) => {
  const root = await tmp('plugins');
  await writeVersion(root, 'swap', { version: '1.0.0' });
  const s = await startStack(root);
  t.after(() => s.close());
  const load = startLoad(s.url, '/swap', { concurrency: 6, maxRequests: 40_000, maxMs: 60_000 });
  try {
    await load.waitFor('1.0.0', 200);

    // 1, 2: good versions.
    for (const version of ['2.0.0', '3.0.0']) {
      await writeVersion(root, 'swap', { version });
      const r = await s.admin('POST', '/plugins/swap/reload');
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.version, version);
      await load.waitFor(version, 300);
    }

    // 3: fails in init; 3.0.0 keeps serving.
    await writeVersion(root, 'swap', { version: '4.0.0', failInit: true });
    const bad = await s.admin('POST', '/plugins/swap/reload');
    assert.equal(bad.status, 500);
    assert.equal(bad.json.error.code, 'PLW_ERR_RELOAD_FAILED');
    assert.match(bad.json.error.message, /at init/);
    assert.equal(s.host.get('swap')!.version, '3.0.0');
    await load.waitFor('3.0.0', 300);
    assert.equal(load.counts.byVersion.get('4.0.0') ?? 0, 0, 'the version that failed init never served');

    // 4: answers 500 after the cut-over: rolled back by itself within the window.
    await writeVersion(root, 'swap', { version: '5.0.0', status: 500 });
    const rolledBack = nextEvent(s.host, 'plugin.rolled_back', (d: any) => d.id === 'swap');
    const five = await s.admin('POST', '/plugins/swap/reload');
    assert.equal(five.status, 200, JSON.stringify(five.json));
    const rb = await rolledBack;
    assert.equal(rb.automatic, true);
    assert.equal(rb.from, '5.0.0');
    assert.equal(rb.to, '3.0.0');
    assert.match(rb.reason, /error rate/);
    assert.equal(s.host.get('swap')!.version, '3.0.0');
    const metrics = await fetch(`${s.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /plugway_plugin_rollbacks_total\{plugin="swap",automatic="true",cause="error_rate",canary="false"\} 1/);
    const after500 = load.counts.byVersion.get('3.0.0') ?? 0;
    await load.waitFor('3.0.0', 300);
    assert.ok((load.counts.byVersion.get('3.0.0') ?? 0) > after500);

    // 5: canary at 10%, then promoted.
    await writeVersion(root, 'swap', { version: '6.0.0' });
    const canary = await s.admin('POST', '/plugins/swap/canary', { version: '6.0.0', percent: 10, sticky_by: 'none' });
    assert.equal(canary.status, 200, JSON.stringify(canary.json));
    const before = { stable: load.counts.byVersion.get('3.0.0') ?? 0, canary: load.counts.byVersion.get('6.0.0') ?? 0 };
    await load.waitFor('6.0.0', 60, 30_000);
    const during = { stable: (load.counts.byVersion.get('3.0.0') ?? 0) - before.stable, canary: (load.counts.byVersion.get('6.0.0') ?? 0) - before.canary };
    const share = during.canary / (during.canary + during.stable);
    assert.ok(share > 0.04 && share < 0.2, `canary share ${share.toFixed(3)} (${JSON.stringify(during)}) should be near 10%`);
    const side = await s.admin('GET', '/plugins/swap/canary');
    assert.equal(side.json.stable.version, '3.0.0');
    assert.equal(side.json.canary.version, '6.0.0');
    assert.ok(side.json.canary.calls > 0 && side.json.stable.calls > side.json.canary.calls);
    const promoted = await s.admin('POST', '/plugins/swap/canary/promote');
    assert.equal(promoted.status, 200, JSON.stringify(promoted.json));
    assert.equal(s.host.get('swap')!.version, '6.0.0');
    await load.waitFor('6.0.0', 300);
  } finally {
    await load.stop();
  }
  const c = load.counts;
  const failedExcept500Version = [...c.failedByVersion].filter(([v]) => v !== '5.0.0');
  t.diagnostic(`requests ${c.total}, by version ${JSON.stringify([...c.byVersion])}, failed ${JSON.stringify([...c.failedByVersion])}, connection errors ${c.connectionErrors}`);
  assert.ok(c.total >= 2000, `a few thousand requests (got ${c.total})`);
  assert.deepEqual(failedExcept500Version, [], `failed requests outside the 500-version's window: ${c.errors.join('\n')}`);
  assert.equal(c.connectionErrors, 0, c.errors.join('\n'));
  assert.ok((c.failedByVersion.get('5.0.0') ?? 0) >= 5, 'the 500-version did serve (and was rolled back for it)');
  const versions = await s.admin('GET', '/plugins/swap/versions');
  assert.deepEqual(versions.json.versions.map((v: { version: string }) => v.version).slice(0, 4), ['6.0.0', '3.0.0', '5.0.0', '2.0.0']);
});
