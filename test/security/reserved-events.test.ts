// Item 2 of issue 23: plugins cannot publish the host's own events (runtime.*, plugin.*, gateway.*,
// …): the emit fails with PLW_ERR_EVENT_RESERVED, nothing is delivered, and no metric series is
// made from what a plugin sends. Runtime event series stay bounded whatever the events carry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http } from '../gateway/helpers.js';
import { gatewayWith, handlerYaml } from './helpers.js';

const EMITTER = `import { randomUUID } from 'node:crypto';
let ctx;
export default {
  init(c) { ctx = c; },
  async handleRequest(req) {
    const type = req.query.type;
    const codes = {};
    for (let i = 0; i < Number(req.query.n ?? 1); i++) {
      try { await ctx.events.emit(type, { id: randomUUID(), pluginId: randomUUID(), version: '9.9.9' }); codes.ok = (codes.ok ?? 0) + 1; }
      catch (err) { codes[err.code ?? err.message] = (codes[err.code ?? err.message] ?? 0) + 1; }
    }
    return { statusCode: 200, body: codes };
  },
};`;

test('worker and in-process plugins cannot emit reserved host events, nor grow metric series', async (t) => {
  const gw = await gatewayWith([
    { id: 'emitter-worker', yaml: handlerYaml('worker', ['/w/emit']), code: EMITTER },
    { id: 'emitter-inproc', yaml: handlerYaml('inprocess', ['/i/emit']), code: EMITTER },
  ]);
  t.after(() => gw.close());
  const seen: string[] = [];
  const off = gw.host.events.on('*', (e) => void seen.push(`${e.type}<-${e.source}`));
  t.after(off);

  for (const prefix of ['/w', '/i']) {
    for (const type of ['runtime.worker_crashed', 'plugin.state_changed', 'gateway.circuit_changed', 'host.anything', 'plugway.x']) {
      const r = await http(`${gw.url}${prefix}/emit?type=${type}&n=${type.startsWith('runtime') ? 400 : 1}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.keys(r.json), ['PLW_ERR_EVENT_RESERVED'], `${prefix} ${type}: ${r.text}`);
    }
    // Their own namespaces still work.
    const own = await http(`${gw.url}${prefix}/emit?type=orders.created`);
    assert.deepEqual(own.json, { ok: 1 });
  }
  assert.deepEqual(
    seen.filter((s) => !s.startsWith('orders.')),
    [],
    'no reserved event was delivered',
  );

  const metrics = await http(`${gw.url}/metrics`);
  const series = metrics.text.split('\n').filter((l) => l.startsWith('plugway_runtime_events_total{'));
  assert.ok(series.length <= 2, `runtime event series: ${series.length}\n${series.slice(0, 5).join('\n')}`);
});

test('runtime event series take their labels from the host, not from event data', async (t) => {
  const gw = await gatewayWith([{ id: 'quiet', yaml: handlerYaml('inprocess', ['/q']), code: 'export default { handleRequest() { return { statusCode: 200 }; } };' }]);
  t.after(() => gw.close());
  // Ids the host does not know land in "unknown"; past 32 type names, types land in "other".
  for (let i = 0; i < 300; i++) await gw.host.events.emit(`runtime.made_up_${i}`, { id: `ghost-${i}`, pluginId: `ghost-${i}` });
  await gw.host.events.emit('runtime.worker_crashed', { id: 'quiet' });
  const text = (await http(`${gw.url}/metrics`)).text;
  const series = text.split('\n').filter((l) => l.startsWith('plugway_runtime_events_total{'));
  assert.ok(series.length <= 34, `series: ${series.length}`);
  assert.ok(
    series.some((l) => l.includes('plugin="quiet"') && l.includes('type="worker_crashed"')),
    series.join('\n'),
  );
  assert.ok(!text.includes('ghost-'), 'no label from an unknown id');
});
