// The hook steps: in the array only while such hooks exist (adding one recompiles the routes);
// onRequest before the call, onResponse or onError after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { stepBench } from './step-bench.test-helper.js';

test('hooks: compiled in when added, out when removed; onError for failures, onResponse otherwise', async (t) => {
  const b = await stepBench([
    {
      id: 'api',
      plugin: { handleRequest: (req: { path: string }) => (req.path === '/boom' ? { statusCode: 'x' } : { statusCode: 200, body: 'ok' }) },
      manifest: {
        endpoints: [
          { path: '/ok', method: 'GET' },
          { path: '/boom', method: 'GET' },
        ] as never,
      },
    },
  ]);
  t.after(() => b.close());
  assert.ok(!b.stepsOf('GET', '/ok').some((n) => n.startsWith('hooks:')));
  const seen: string[] = [];
  const offs = [
    b.host.hooks.add('onRequest', (p: { pluginId: string }) => void seen.push(`request:${p.pluginId}`)),
    b.host.hooks.add('onResponse', (p: { response: { statusCode: number } }) => void seen.push(`response:${p.response.statusCode}`)),
    b.host.hooks.add('onError', (p: { error: { code: string } }) => void seen.push(`error:${p.error.code}`)),
  ];
  await tick(); // the coalesced rebuild
  assert.deepEqual(
    b.stepsOf('GET', '/ok').filter((n) => n.startsWith('hooks:')),
    ['hooks:onResponse', 'hooks:onRequest'],
  );
  await b.request('GET', '/ok');
  await b.request('GET', '/boom');
  assert.deepEqual(seen, ['request:api', 'response:200', 'request:api', 'error:PLW_ERR_INVALID_RESPONSE']);
  for (const off of offs) off();
  await tick();
  assert.ok(!b.stepsOf('GET', '/ok').some((n) => n.startsWith('hooks:')));
});
