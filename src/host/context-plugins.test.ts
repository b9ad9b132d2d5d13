// ctx.plugins and ctx.hooks.emit, the two context members the llm-gateway dispatches through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createHost } from './host.js';

test('ctx.plugins reaches running provider and router plugins only; ctx.hooks.emit fires only the LLM hooks', async () => {
  const host = createHost({ logger: pino({ level: 'silent' }) });
  let ctx: any;
  host.registerBuiltin('caller', { init: (c: unknown) => void (ctx = c), handleRequest: () => ({ statusCode: 200 }) }, {});
  host.registerBuiltin('prov', { models: () => ['m'], complete: (req: { model: string }) => ({ id: '1', provider: 'prov', model: req.model, content: 'hi' }) }, { kind: 'provider' });
  host.registerBuiltin('other', { handleRequest: () => ({ statusCode: 200 }) }, {});
  await host.start();
  try {
    assert.deepEqual(
      ctx.plugins.list('provider').map((p: { id: string }) => p.id),
      ['prov'],
    );
    assert.equal(ctx.plugins.get('other'), undefined);
    assert.equal((await ctx.plugins.call('prov', 'complete', [{ model: 'm' }])).content, 'hi');
    await assert.rejects(ctx.plugins.call('other', 'handleRequest', [{}]), { code: 'PLW_ERR_FORBIDDEN' });
    const seen: unknown[] = [];
    ctx.hooks.on('on_error', (p: unknown) => void seen.push(p));
    await ctx.hooks.emit('on_error', { requestId: 'r', model: 'm', errorType: 'timeout', message: 'slow' });
    assert.equal(seen.length, 1);
    await assert.rejects(ctx.hooks.emit('onRequest', {}), /only on_request/);
    assert.equal(host.hooks.stats().on_error!.fired, 1);
  } finally {
    await host.stop();
  }
});
