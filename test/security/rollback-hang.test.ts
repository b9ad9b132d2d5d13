// Item 4 of issue 23: a new version whose handleRequest never resolves is rolled back. Its timeouts
// count toward the watch's error rate, and its circuit breaker opening during the watch window
// (which keeps further calls from reaching it) rolls it back at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { nextEvent, startStack, swapConfig, tmp, writeVersion, type Stack } from '../hot-swap/helpers.js';

async function hangingVersion(root: string, id: string): Promise<void> {
  await writeVersion(root, id, { version: '2.0.0' });
  await writeFile(join(root, id, 'index.mjs'), 'export default { handleRequest() { return new Promise(() => undefined); } };\n');
}

async function get(s: Stack, path: string): Promise<{ status: number; body: any }> {
  const r = await request(`${s.url}${path}`);
  const text = await r.body.text();
  return { status: r.statusCode, body: text ? JSON.parse(text) : undefined };
}

/** Requests until `done` settles (or `max`), as clients keep calling during a bad release. */
async function trafficUntil(s: Stack, path: string, done: Promise<unknown>, max = 500): Promise<number[]> {
  let settled = false;
  void done.then(
    () => (settled = true),
    () => (settled = true),
  );
  const statuses: number[] = [];
  for (let i = 0; i < max && !settled; i++) statuses.push((await get(s, path)).status);
  await done;
  return statuses;
}

test('a hanging version whose breaker opens during its watch window is rolled back', async (t) => {
  const root = await tmp('plugins');
  await writeVersion(root, 'hang', { version: '1.0.0' });
  const s = await startStack(root, {
    config: swapConfig((c) => {
      c.reload.watchWindowMs = 20_000;
      c.reload.minCalls = 10;
      c.plugins.defaultTimeoutMs = 200;
      c.gateway.circuitBreaker = { failureThreshold: 5, openTimeoutMs: 30_000, halfOpenLimit: 1 };
    }),
  });
  t.after(() => s.close());
  assert.equal((await get(s, '/hang')).body.version, '1.0.0');

  await hangingVersion(root, 'hang');
  assert.equal((await s.admin('POST', '/plugins/hang/reload')).status, 200);
  const rolled = nextEvent(s.host, 'plugin.rolled_back', (d: any) => d.id === 'hang', 15_000);
  const passed = nextEvent(s.host, 'plugin.release_confirmed', (d: any) => d.id === 'hang', 25_000).then(() => assert.fail('the hanging version passed its watch window'));
  passed.catch(() => undefined);
  const statuses = await trafficUntil(s, '/hang', Promise.race([rolled, passed]));
  const r = await rolled;
  assert.equal(r.automatic, true);
  assert.equal(r.from, '2.0.0');
  assert.equal(r.to, '1.0.0');
  assert.equal(r.cause, 'circuit_open');
  // Five timeouts open the breaker; the watch trips then (the switch back waits for the drain of the hung calls).
  assert.ok(statuses.filter((x) => x === 504).length <= 6, `calls that reached the hanging version: ${statuses.join(',')}`);
  // The old version serves again at once: its breaker starts closed.
  const after = await get(s, '/hang');
  assert.equal(after.status, 200, JSON.stringify(after.body));
  assert.equal(after.body.version, '1.0.0');
});

test("a hanging version's timeouts count toward the watch's error rate", async (t) => {
  const root = await tmp('plugins');
  await writeVersion(root, 'slow', { version: '1.0.0' });
  const s = await startStack(root, {
    config: swapConfig((c) => {
      c.reload.watchWindowMs = 20_000;
      c.reload.minCalls = 5;
      c.plugins.defaultTimeoutMs = 200;
      // swapConfig keeps the breaker out of the way: the error rate alone must trip.
    }),
  });
  t.after(() => s.close());
  await hangingVersion(root, 'slow');
  assert.equal((await s.admin('POST', '/plugins/slow/reload')).status, 200);
  const rolled = nextEvent(s.host, 'plugin.rolled_back', (d: any) => d.id === 'slow', 15_000);
  const statuses = await trafficUntil(s, '/slow', rolled, 40);
  const r = await rolled;
  assert.equal(r.cause, 'error_rate');
  assert.ok(
    statuses.every((x) => x === 504 || x === 200),
    statuses.join(','),
  );
  assert.equal((await get(s, '/slow')).body.version, '1.0.0');
});
