import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { normalizeManifest } from '../../manifest/index.js';
import type { PluginContext } from '../../sdk/context.js';
import { createInProcessRuntime } from './index.js';

function runtime(plugin: object, extra: Record<string, unknown> = {}, onAsyncError: (e: Error) => void = () => undefined, asyncContext = false) {
  const ctx = { pluginId: 'rt', signal: new AbortController().signal } as unknown as PluginContext;
  return createInProcessRuntime({
    manifest: normalizeManifest({ id: 'rt', kind: 'handler', ...extra }),
    instance: plugin,
    config: { greeting: 'hi' },
    context: ctx,
    logger: pino({ level: 'silent' }),
    defaultTimeoutMs: 1000,
    onAsyncError,
    asyncContext,
  });
}

test('call: results, coded throws with cause, deadlines, not implemented, actions whitelist, stats', async () => {
  const cause = new Error('kaput');
  const rt = runtime(
    {
      handleRequest: (req: { n: number }) => ({ statusCode: 200, body: req.n }),
      boom: () => {
        throw cause;
      },
      slow: () => new Promise(() => {}),
      execute: (action: string) => `did ${action}`,
    },
    { actions: ['ping'] },
  );
  await rt.load();
  assert.deepEqual(await rt.call('handleRequest', [{ n: 7 }]), { statusCode: 200, body: 7 });
  await assert.rejects(rt.call('boom'), (e: any) => e.code === 'PLW_ERR_PLUGIN_THREW' && e.cause === cause);
  await assert.rejects(rt.call('slow', [], { deadline: Date.now() + 30 }), { code: 'PLW_ERR_PLUGIN_TIMEOUT' });
  await assert.rejects(rt.call('nope'), { code: 'PLW_ERR_METHOD_NOT_IMPLEMENTED' });
  assert.equal(await rt.call('execute', ['ping', {}]), 'did ping');
  await assert.rejects(rt.call('execute', ['drop-db', {}]), { code: 'PLW_ERR_ACTION_NOT_ALLOWED' });
  const s = rt.stats();
  assert.equal(s.timeouts, 1);
  assert.equal(s.calls, 0, "calls are the host's to count (host/traffic.ts), once");
});

test("one count of calls: host.runtimeStats() counts every call once, with the runtime's timeouts", async () => {
  const { createHost } = await import('../../host/index.js');
  const { pino } = await import('pino');
  const host = createHost({ logger: pino({ level: 'silent' }) });
  host.registerBuiltin(
    'svc',
    {
      handleRequest: () => ({ statusCode: 200 }),
      slow: () => new Promise(() => undefined),
      boom: () => {
        throw new Error('x');
      },
    },
    {},
  );
  await host.start();
  try {
    host.invoke('svc', 'handleRequest', [{}]);
    await host.call('svc', 'handleRequest', [{}]);
    await assert.rejects(host.call('svc', 'boom'));
    await assert.rejects(host.call('svc', 'slow', [], { deadline: Date.now() + 20 }), { code: 'PLW_ERR_PLUGIN_TIMEOUT' });
    const s = host.runtimeStats('svc')!;
    assert.equal(s.calls, 4);
    assert.equal(s.errors, 2);
    assert.equal(s.timeouts, 1);
    assert.equal(s.inFlight, 0);
    assert.ok(s.totalMs >= 15, `totalMs ${s.totalMs}`);
  } finally {
    await host.stop();
  }
});

test('call: an aborted signal rejects with PLW_ERR_CALL_ABORTED and reaches the plugin as ctx.signal', async () => {
  let seen: AbortSignal | undefined;
  const rt = runtime({
    handleRequest: () => ({ statusCode: 200 }),
    wait: (ctx: PluginContext) => {
      seen = ctx.signal;
      return new Promise(() => {});
    },
  });
  await rt.load();
  const ac = new AbortController();
  const p = rt.call('wait', [], { signal: ac.signal });
  ac.abort(new Error('client went away'));
  await assert.rejects(p, { code: 'PLW_ERR_CALL_ABORTED' });
  assert.equal(seen?.aborted, true);
});

test('load: factory gets the config; what it implements is what the host checks the kind contract against', async () => {
  const rt = runtime((config: { greeting: string }) => ({ handleRequest: () => ({ statusCode: 200, body: config.greeting }) }));
  await rt.load();
  assert.deepEqual(await rt.call('handleRequest', [{}]), { statusCode: 200, body: 'hi' });
  // The contract is the host's, one check for every runtime (manifest/plugin-contract.ts, test/runtimes/kind-contract.test.ts).
  const bad = runtime({ init() {} });
  await bad.load();
  assert.equal(bad.implements('handleRequest'), false);
  assert.equal(bad.implements('init'), true);
});

test('async_context on: an error thrown later from the timer of a plugin given in code (no folder, no frame) is attributed to it; the process survives', async () => {
  let got: Error | undefined;
  const attributed = new Promise<void>((resolve) => {
    const rt = runtime(
      {
        handleRequest: () => {
          setTimeout(() => {
            throw new Error('late timer error');
          }, 1);
          return { statusCode: 202 };
        },
      },
      {},
      (e) => {
        got = e;
        resolve();
      },
      true,
    );
    void rt.load().then(() => rt.call('handleRequest', [{}]));
  });
  await attributed;
  assert.equal(got?.message, 'late timer error');
});
