// Hostile worker plugins: each attack is contained, reported with a coded error and an event,
// and the neighbouring plugins keep answering throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorkerRuntime } from '../../src/runtimes/worker/index.js';
import type { PluginRuntime } from '../../src/runtimes/types.js';
import { harness, manifest } from '../runtimes/helpers.js';
import type { Harness } from '../runtimes/helpers.js';
import { request, withNeighbours } from './neighbour.js';

const hostile = new URL('./fixtures/hostile.ts', import.meta.url).pathname;
const fast = { backoffBaseMs: 20, backoffMaxMs: 200, giveBackGraceMs: 100 };

async function withHostile(fn: (rt: PluginRuntime, h: Harness) => Promise<void>, over: Parameters<typeof manifest>[0] = { id: 'hostile' }, tuning = {}): Promise<void> {
  const h = harness(manifest(over), hostile);
  const rt = createWorkerRuntime(h.init, { ...fast, ...tuning });
  await rt.load();
  try {
    await withNeighbours(() => fn(rt, h));
  } finally {
    await rt.dispose();
  }
}

/** After a crash, the instance comes back and serves again. */
async function recovers(rt: PluginRuntime, h: Harness): Promise<void> {
  await h.nextEvent('runtime.worker_restarted');
  assert.deepEqual(await rt.call('handleRequest', [request('/ok')]), { statusCode: 200, body: 'fine' });
  assert.equal(rt.stats().restarts, 1);
}

test('a synchronous infinite loop: deadline, then the thread is terminated and restarted', async () => {
  await withHostile(async (rt, h) => {
    await assert.rejects(rt.call('handleRequest', [request('/spin')], { deadline: Date.now() + 100 }), { code: 'PLW_ERR_PLUGIN_TIMEOUT' });
    const ev = await h.nextEvent('runtime.worker_terminated');
    assert.equal(ev.data.code, 'PLW_ERR_WORKER_TERMINATED');
    await recovers(rt, h);
  });
});

test('an async call that never ends: deadline, and the thread stays (it gave the loop back)', async () => {
  await withHostile(async (rt, h) => {
    await assert.rejects(rt.call('handleRequest', [request('/hang')], { deadline: Date.now() + 100 }), { code: 'PLW_ERR_PLUGIN_TIMEOUT' });
    assert.deepEqual(await rt.call('handleRequest', [request('/ok')]), { statusCode: 200, body: 'fine' });
    assert.equal(h.events.length, 0, 'no crash, no restart');
  });
});

test('a heap bomb is ended at resources.memory with PLW_ERR_WORKER_OUT_OF_MEMORY', async () => {
  await withHostile(
    async (rt, h) => {
      await assert.rejects(rt.call('handleRequest', [request('/heap')], { deadline: Date.now() + 20_000 }), { code: 'PLW_ERR_WORKER_OUT_OF_MEMORY' });
      assert.equal((await h.nextEvent('runtime.worker_oom')).data.code, 'PLW_ERR_WORKER_OUT_OF_MEMORY');
      await recovers(rt, h);
    },
    { id: 'hostile', resources: { memory: 32 } },
  );
});

test('Buffers past resources.memory end the instance with PLW_ERR_WORKER_OUT_OF_MEMORY; short-lived ones do not', async () => {
  await withHostile(
    async (rt, h) => {
      assert.deepEqual(await rt.call('handleRequest', [request('/buffer-churn')], { deadline: Date.now() + 20_000 }), { statusCode: 200, body: 'churned 20' });
      await assert.rejects(
        rt.call('handleRequest', [request('/buffer')], { deadline: Date.now() + 20_000 }),
        (e: Error & { code: string; params: Record<string, unknown> }) =>
          e.code === 'PLW_ERR_WORKER_OUT_OF_MEMORY' && e.params.limit === 'external' && (e.params.externalMb as number) >= 512 && e.params.memoryMb === 48,
      );
      const ev = await h.nextEvent('runtime.worker_oom');
      assert.equal(ev.data.code, 'PLW_ERR_WORKER_OUT_OF_MEMORY');
      await recovers(rt, h);
    },
    { id: 'hostile', resources: { memory: 48 } },
  );
});

test('process.exit() inside the plugin ends only its thread (PLW_ERR_WORKER_EXITED)', async () => {
  await withHostile(async (rt, h) => {
    await assert.rejects(rt.call('handleRequest', [request('/exit')]), (e: Error & { code: string }) => e.code === 'PLW_ERR_WORKER_EXITED' && /process\.exit\(7\)/.test(e.message));
    assert.equal((await h.nextEvent('runtime.worker_crashed')).data.code, 'PLW_ERR_WORKER_EXITED');
    await recovers(rt, h);
  });
});

test('a throw from a timer crashes the instance with PLW_ERR_WORKER_CRASHED, not the process', async () => {
  await withHostile(async (rt, h) => {
    await assert.rejects(rt.call('handleRequest', [request('/timer-throw')]), (e: Error & { code: string }) => e.code === 'PLW_ERR_WORKER_CRASHED' && /thrown from a timer/.test(e.message));
    await recovers(rt, h);
  });
});

test('an unhandled rejection crashes the instance with PLW_ERR_WORKER_CRASHED', async () => {
  await withHostile(async (rt, h) => {
    await assert.rejects(rt.call('handleRequest', [request('/reject')]), (e: Error & { code: string }) => e.code === 'PLW_ERR_WORKER_CRASHED' && /nobody catches this/.test(e.message));
    await recovers(rt, h);
  });
});

test('a 50 MB response is refused inside the worker (PLW_ERR_RESPONSE_TOO_LARGE)', async () => {
  await withHostile(async (rt) => {
    await assert.rejects(
      rt.call('handleRequest', [request('/huge')], { deadline: Date.now() + 10_000 }),
      (e: Error & { code: string }) => e.code === 'PLW_ERR_RESPONSE_TOO_LARGE' && /10485760/.test(e.message),
    );
    assert.deepEqual(await rt.call('handleRequest', [request('/ok')]), { statusCode: 200, body: 'fine' });
  });
});

test('repeated crashes: backoff restarts, then PLW_ERR_WORKER_RESTART_LIMIT and onAsyncError', async () => {
  await withHostile(
    async (rt, h) => {
      for (let i = 0; i < 3; i++) {
        const before = h.events.length;
        await assert.rejects(rt.call('handleRequest', [request('/exit')], { deadline: Date.now() + 5000 }), { code: 'PLW_ERR_WORKER_EXITED' });
        if (i < 2) await h.nextEvent('runtime.worker_restarted', before);
      }
      const limit = await h.nextEvent('runtime.worker_restart_limit');
      assert.equal(limit.data.count, 3);
      assert.equal((h.asyncErrors[0] as Error & { code: string }).code, 'PLW_ERR_WORKER_RESTART_LIMIT');
      await assert.rejects(rt.call('handleRequest', [request('/ok')]), { code: 'PLW_ERR_WORKER_RESTART_LIMIT' });
      const delays = h.events.filter((e) => e.type === 'runtime.worker_restarting').map((e) => e.data.delayMs);
      assert.deepEqual(delays, [20, 40], 'exponential backoff');
    },
    { id: 'hostile' },
    { restartLimit: 3 },
  );
});
